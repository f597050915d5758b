package systems.onebit.orchestrator.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import systems.onebit.orchestrator.OrchestratorException;

class HttpWaitStrategyTest {

    /** As llama-server while it loads a model: 503 until ready. */
    private static HttpServer loading(Duration until) throws Exception {
        long ready = System.nanoTime() + until.toNanos();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/health", exchange -> {
            boolean ok = System.nanoTime() >= ready;
            byte[] body = (ok ? "{\"status\":\"ok\"}" : "{\"error\":{\"code\":503,\"message\":\"Loading model\"}}").getBytes();
            exchange.sendResponseHeaders(ok ? 200 : 503, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }

    @Test
    void aLoadingServerIsReportedWhileItLoadsAndTheWaitEndsWhenItIsReady() throws Exception {
        HttpServer server = loading(Duration.ofMillis(1200));
        try {
            List<String> lines = new CopyOnWriteArrayList<>();
            Duration took = new HttpWaitStrategy("/health", Duration.ofMillis(50)).reporting(Duration.ofMillis(300), lines::add)
                    .waitUntilReady(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), Duration.ofSeconds(10));
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1100));
            assertThat(lines).hasSizeBetween(2, 5).allMatch(l -> l.startsWith("loading, ") && l.endsWith("s so far (http 503)"));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void withoutReportingNothingIsSaidAndATimeoutNamesTheLastAnswer() throws Exception {
        HttpServer server = loading(Duration.ofMinutes(5));
        try {
            assertThatThrownBy(() -> new HttpWaitStrategy("/health", Duration.ofMillis(50))
                    .waitUntilReady(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), Duration.ofMillis(1500)))
                    .isInstanceOfSatisfying(OrchestratorException.class, e -> {
                        assertThat(e.reason()).isEqualTo(OrchestratorException.Reason.TIMEOUT);
                        assertThat(e.getMessage()).contains("was not healthy within 1500 ms (last: http 503)");
                    });
        } finally {
            server.stop(0);
        }
    }
}
