package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zeroturnaround.exec.ProcessExecutor;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.registry.RegistryStore;
import systems.onebit.orchestrator.testing.ModelFiles;
import systems.onebit.orchestrator.testing.PodmanTestService;

/** `1bit logs` with a real detached proxy and a real toolbox container (the busybox stand-in image) on Podman. */
class LogsIT {

    @TempDir
    Path home;

    private Cli cli;
    private final String toolbox = "logs-" + UUID.randomUUID().toString().substring(0, 8);
    private int proxyPort;

    @BeforeEach
    void setUp() throws Exception {
        cli = new Cli(home)
                .env("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString())
                .env("ONEBIT_HOST_ROOT", Cli.hostWithDevices(home.resolve("host"), true).toString())
                .env("ONEBIT_SYSTEMD", "none");
        proxyPort = Cli.freePort();
        new RegistryStore(cli.configDir().resolve("registry.yaml")).update(r -> new Registry("127.0.0.1", proxyPort, "", List.of()));
        Path model = ModelFiles.emptyGguf(home.resolve("models"), "tiny.gguf");
        assertThat(cli.run("backends", "add", toolbox, "--kind", "toolbox", "--flavor", "vulkan-radv", "--model",
                model.toString(), "--port", Integer.toString(Cli.freePort())).code()).isZero();
        Cli.Result up = cli.run("up");
        assertThat(up.code()).as(up.toString()).isZero();
    }

    @AfterEach
    void tearDown() {
        cli.run("down");
        PodmanTestService.removeQuietly(toolbox);
    }

    @Test
    void everyComponentsLinesFollowingAndUnknownNames() throws Exception {
        Cli.Result all = cli.run("logs");
        assertThat(all.code()).as(all.toString()).isZero();
        assertThat(all.out().lines()).anyMatch(l -> l.startsWith("proxy") && l.contains("| 1bit proxy listening on"))
                .anyMatch(l -> l.startsWith(toolbox) && l.contains("| stand-in llama-server: model"));

        Cli.Result unknown = cli.run("logs", "nope");
        assertThat(unknown.code()).isEqualTo(ExitCode.NOT_FOUND.code());
        assertThat(unknown.err()).contains("no component 'nope'", "known: proxy, " + toolbox);

        // -f in a process of its own: a request's access-log line arrives, then SIGTERM ends it.
        List<String> command = List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), "systems.onebit.cli.Main", "logs", "-f", "-n", "1", "proxy");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("HOME", home.toString());
        builder.environment().put("XDG_CONFIG_HOME", home.resolve("config").toString());
        builder.environment().put("XDG_STATE_HOME", home.resolve("state").toString());
        builder.environment().put("ONEBIT_SYSTEMD", "none");
        builder.environment().put("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString());
        Process follower = builder.start();
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(follower.getInputStream(), StandardCharsets.UTF_8))) {
                in.lines().forEach(seen::add);
            } catch (java.io.IOException e) {
                // the process ended
            }
        });
        Thread.sleep(1500);  // the follower has read the file's end
        // A forwarded request (the access log has one line per request it routes; here: an unknown model, 404).
        new ProcessExecutor("curl", "-s", "-o", "/dev/null", "-H", "Content-Type: application/json", "-d",
                "{\"model\":\"no-such-model\",\"messages\":[]}", "http://127.0.0.1:" + proxyPort + "/v1/chat/completions")
                .exitValueNormal().execute();
        String line = null;
        List<String> other = new java.util.ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (line == null && System.nanoTime() < deadline) {
            String next = seen.poll(200, TimeUnit.MILLISECONDS);
            if (next != null && next.contains("/v1/chat/completions")) {
                line = next;
            } else if (next != null) {
                other.add(next);
            }
        }
        assertThat(line).as("the access-log line followed; other output: " + other).isNotNull().startsWith("proxy | POST /v1/chat/completions").contains("no-such-model");
        follower.destroy();  // SIGTERM
        assertThat(follower.waitFor(10, TimeUnit.SECONDS)).as("-f stops on SIGTERM").isTrue();
    }
}
