package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyCommandTest {

    @TempDir
    Path home;

    @Test
    void refusesANonLoopbackAddressWithoutInsecure() {
        Cli.Result result = new Cli(home).run("proxy", "--host", "0.0.0.0", "--port", "0");
        assertThat(result.code()).isEqualTo(ExitCode.USAGE.code());
        assertThat(result.errLines()).singleElement().asString()
                .contains("refusing to listen on 0.0.0.0 without an API key: set ONEBIT_API_KEY", "--insecure");
    }

    @Test
    void servesUntilStopped() throws Exception {
        int port = Cli.freePort();
        Cli cli = new Cli(home);
        AtomicReference<Cli.Result> result = new AtomicReference<>();
        Thread runner = new Thread(() -> result.set(cli.run("proxy", "--port", Integer.toString(port))));
        runner.start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpResponse<String> health = null;
        for (int i = 0; i < 100 && health == null; i++) {
            try {
                health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (java.io.IOException e) {
                Thread.sleep(100);
            }
        }
        assertThat(health).isNotNull();
        assertThat(health.statusCode()).isEqualTo(200);
        // The default registry's llama backend is not running: listed, unhealthy.
        assertThat(health.body()).contains("\"name\":\"llama\"", "\"healthy\":false");
        runner.interrupt();
        runner.join(10_000);
        assertThat(runner.isAlive()).isFalse();
        assertThat(result.get().code()).isZero();
        assertThat(result.get().out()).contains("1bit proxy listening on http://127.0.0.1:" + port + "/v1");
    }

    @Test
    void aTakenPortEndsTheCommandWithAConflictInsteadOfServingNothing() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Cli.Result result = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> new Cli(home).run("proxy", "--port", Integer.toString(port)));
            assertThat(result.code()).as(result.toString()).isEqualTo(ExitCode.CONFLICT.code());
            assertThat(result.err()).contains("1bit: cannot listen on 127.0.0.1:" + port);
            assertThat(result.out()).doesNotContain("listening");
        }
    }
}
