package systems.onebit.orchestrator.probe;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against the JDK's HTTP server (fixed-length and chunked answers) and raw sockets for the faults. */
class HttpProbeTest {

    private HttpServer server;
    private URI base;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/health", exchange -> {
            byte[] body = "{\"status\":\"ok\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.createContext("/v1/models", exchange -> {
            exchange.sendResponseHeaders(200, 0); // 0 = chunked
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("{\"data\":[{\"id\":\"a\"},".getBytes(StandardCharsets.UTF_8));
                out.flush();
                out.write("{\"id\":\"b\"}]}".getBytes(StandardCharsets.UTF_8));
            }
        });
        server.createContext("/loading", exchange -> {
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        server.start();
        base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void readsFixedLengthAndChunkedBodies() {
        HttpProbe.Result health = HttpProbe.get(base, "/health", Duration.ofSeconds(2));
        assertThat(health.ok()).isTrue();
        assertThat(health.body()).isEqualTo("{\"status\":\"ok\"}");
        HttpProbe.Result models = HttpProbe.get(base, "/v1/models", Duration.ofSeconds(2));
        assertThat(ModelLister.ids(models.body())).contains(java.util.List.of("a", "b"));
    }

    @Test
    void reportsStatusOtherThan200() {
        HttpProbe.Result result = HttpProbe.get(base, "/loading", Duration.ofSeconds(2));
        assertThat(result.ok()).isFalse();
        assertThat(result.health()).isEqualTo("http 503");
    }

    @Test
    void refusedConnectionIsDown() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        HttpProbe.Result result = HttpProbe.get(URI.create("http://127.0.0.1:" + port), "/health", Duration.ofSeconds(2));
        assertThat(result.health()).isEqualTo("down");
    }

    @Test
    void aServerThatNeverAnswersTimesOutByTheDeadline() throws IOException {
        try (ServerSocket silent = new ServerSocket(0)) {
            HttpProbe.Result result = HttpProbe.get(URI.create("http://127.0.0.1:" + silent.getLocalPort()), "/health",
                    Duration.ofMillis(300));
            assertThat(result.health()).isEqualTo("timeout");
            assertThat(result.took()).isLessThan(Duration.ofMillis(1500));
        }
    }

    @Test
    void aServerThatTricklesItsHeadersStillEndsByTheDeadline() throws Exception {
        try (ServerSocket trickle = new ServerSocket(0)) {
            Thread.ofVirtual().start(() -> {
                try (Socket s = trickle.accept()) {
                    s.getOutputStream().write("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.US_ASCII));
                    // One header byte every 50 ms, never ending: every read succeeds, the deadline must still hold.
                    for (int i = 0; i < 200; i++) {
                        s.getOutputStream().write('x');
                        s.getOutputStream().flush();
                        Thread.sleep(50);
                    }
                } catch (IOException | InterruptedException ignored) {
                    // the probe gave up
                }
            });
            HttpProbe.Result result = HttpProbe.get(URI.create("http://127.0.0.1:" + trickle.getLocalPort()), "/health",
                    Duration.ofMillis(400));
            assertThat(result.health()).isEqualTo("timeout");
            assertThat(result.took()).isLessThan(Duration.ofMillis(1500));
        }
    }

    @Test
    void garbageIsNotHealthy() throws Exception {
        try (ServerSocket garbage = new ServerSocket(0)) {
            Thread.ofVirtual().start(() -> {
                try (Socket s = garbage.accept()) {
                    s.getOutputStream().write("SSH-2.0-OpenSSH_9.2\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException ignored) {
                    // the probe may close first
                }
            });
            HttpProbe.Result result = HttpProbe.get(URI.create("http://127.0.0.1:" + garbage.getLocalPort()), "/health",
                    Duration.ofSeconds(2));
            assertThat(result.ok()).isFalse();
            assertThat(result.health()).isEqualTo("not an HTTP answer");
        }
    }
}
