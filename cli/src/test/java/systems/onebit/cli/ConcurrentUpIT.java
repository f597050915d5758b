package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.registry.RegistryStore;

/** Two {@code 1bit up} at once, each starting the real detached {@code 1bit proxy} (no systemd here). */
class ConcurrentUpIT {

    @TempDir
    Path home;

    private Cli cli;

    @AfterEach
    void tearDown() {
        if (cli != null) {
            cli.run("down");
        }
        // Should this test fail, a proxy that down could not see must not outlive it (it would skew later runs).
        ProcessHandle.current().descendants()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains("proxy")).orElse(false))
                .forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    void twoUpsAtOnceStartOneProxyThatDownStops() throws Exception {
        cli = new Cli(home).env("ONEBIT_SYSTEMD", "none");
        int port = Cli.freePort();
        new RegistryStore(cli.configDir().resolve("registry.yaml")).update(r -> new Registry("127.0.0.1", port, "", List.of()));
        Callable<Cli.Result> up = () -> cli.run("up", "--json");
        List<Cli.Result> results;
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            List<Future<Cli.Result>> both = pool.invokeAll(List.of(up, up));
            results = List.of(both.get(0).get(), both.get(1).get());
        }
        for (Cli.Result r : results) {
            assertThat(r.code()).as(r.toString()).isZero();
        }
        // One started it; the other found it running (it waited for the first instead of racing it).
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> outcomes = new java.util.ArrayList<>();
        for (Cli.Result r : results) {
            com.fasterxml.jackson.databind.JsonNode proxy = json.readTree(r.out()).get("components").get(0);
            outcomes.add(proxy.get("outcome").asText() + ": " + proxy.get("detail").asText());
        }
        assertThat(outcomes).hasSize(2)
                .anySatisfy(o -> assertThat(o).startsWith("changed: started (pid "))
                .anySatisfy(o -> assertThat(o).startsWith("unchanged: already running (pid "));
        Path pidFile = home.resolve("state/1bit/proxy.pid");
        long pid = Long.parseLong(Files.readString(pidFile).trim().split("\\s+")[0]);
        assertThat(ProcessHandle.of(pid)).hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());

        Cli.Result down = cli.run("down");
        assertThat(down.code()).as(down.toString()).isZero();
        assertThat(down.out()).contains("proxy: stopped (pid " + pid);
        // Nothing left holding the port: the recorded proxy was the only one.
        try (ServerSocket free = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThat(free.getLocalPort()).isEqualTo(port);
        }
        cli = null;
    }
}
