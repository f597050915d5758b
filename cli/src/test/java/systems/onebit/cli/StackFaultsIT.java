package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.registry.RegistryStore;
import systems.onebit.orchestrator.testing.DbusDaemon;
import systems.onebit.orchestrator.testing.ModelFiles;
import systems.onebit.orchestrator.testing.PodmanTestService;
import systems.onebit.orchestrator.testing.SocketFaultProxy;
import systems.onebit.orchestrator.testing.StandInSystemd;

/**
 * `1bit up` faults on real Podman (the test image's stand-in llama-server keeps these fast): each component gets its
 * own clear line and the documented exit code, and no run hangs. Also the proxy through systemd's D-Bus API (a real
 * dbus-daemon with the stand-in Manager, whose StartUnit runs the real `1bit proxy`).
 */
class StackFaultsIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    private Cli cli;
    private final String suffix = UUID.randomUUID().toString().substring(0, 6);
    private final String good = "fg-" + suffix;
    private final String bad = "fb-" + suffix;
    private Path model;

    @BeforeEach
    void setUp() throws Exception {
        cli = new Cli(home).env("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString()).env("ONEBIT_SYSTEMD", "none");
        model = ModelFiles.emptyGguf(Files.createDirectories(home.resolve("models")), "m.gguf");
    }

    @AfterEach
    void tearDown() {
        cli.run("down");
        PodmanTestService.removeQuietly(good, bad);
    }

    private void registry(int proxyPort, Backend... backends) {
        new RegistryStore(cli.configDir().resolve("registry.yaml")).update(r -> new Registry("127.0.0.1", proxyPort, "",
                List.of(backends)));
    }

    private static Backend toolbox(String name, int port, Path model) {
        return new Backend(name, BackendKind.TOOLBOX, URI.create("http://127.0.0.1:" + port), "cpu",
                List.of(model.toString()), List.of(), Backend.DEFAULT_PRIORITY, true);
    }

    private static Map<String, JsonNode> byComponent(Cli.Result result) throws Exception {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        JSON.readTree(result.out()).get("components").forEach(c -> out.put(c.get("component").asText(), c));
        return out;
    }

    @Test
    void aMissingModelFailsThatBackendOnlyAndTheRestComesUp() throws Exception {
        registry(Cli.freePort(), toolbox(good, Cli.freePort(), model), toolbox(bad, Cli.freePort(), home.resolve("models/gone.gguf")));
        Cli.Result up = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> cli.run("up", "--json", "--timeout", "60"));
        assertThat(up.code()).as(up.toString()).isEqualTo(ExitCode.PARTIAL.code());
        Map<String, JsonNode> reports = byComponent(up);
        assertThat(reports.get(good).get("outcome").asText()).isEqualTo("changed");
        assertThat(reports.get(bad).get("outcome").asText()).isEqualTo("failed");
        assertThat(reports.get(bad).get("error").asText()).contains("gone.gguf", "does not exist");
        assertThat(reports.get(bad).get("exitCode").asInt()).isEqualTo(ExitCode.NOT_FOUND.code());
        assertThat(reports.get("proxy").get("outcome").asText()).isEqualTo("changed");
        // Nothing half-made for the failed backend.
        assertThat(PodmanTestService.podmanResult("container", "exists", bad).getExitValue()).isEqualTo(1);
    }

    @Test
    void aPortTakenByAnotherProcessIsAConflictForThatBackend() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            registry(Cli.freePort(), toolbox(bad, taken.getLocalPort(), model));
            Cli.Result up = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> cli.run("up", "--no-proxy"));
            assertThat(up.code()).as(up.toString()).isEqualTo(ExitCode.CONFLICT.code());
            assertThat(up.err()).contains("1bit: " + bad + ": FAILED: port " + taken.getLocalPort(), "already in use");
        }
    }

    @Test
    void thePodmanSocketDyingMidwayFailsEachBackendClearlyWithoutHanging() throws Exception {
        registry(Cli.freePort(), toolbox(good, Cli.freePort(), model), toolbox(bad, Cli.freePort(), model));
        Path real = Path.of(PodmanTestService.socket().getPath());
        try (SocketFaultProxy flaky = new SocketFaultProxy(home.resolve("flaky.sock"), real, "/containers/create")) {
            cli.env("ONEBIT_PODMAN_SOCKET", flaky.path().toString());
            Cli.Result up = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> cli.run("up", "--json", "--no-proxy"));
            assertThat(flaky.dead()).isTrue();
            assertThat(up.code()).as(up.toString()).isEqualTo(ExitCode.ENGINE_UNAVAILABLE.code());
            Map<String, JsonNode> reports = byComponent(up);
            assertThat(reports).containsOnlyKeys(good, bad);
            reports.values().forEach(r -> {
                assertThat(r.get("outcome").asText()).isEqualTo("failed");
                assertThat(r.get("error").asText()).contains("Podman socket");
            });
        }
    }

    @Test
    void theProxyGoesThroughItsSystemdUnitWhenAManagerHasIt() throws Exception {
        int proxyPort = Cli.freePort();
        registry(proxyPort);
        AtomicReference<Process> proxy = new AtomicReference<>();
        Map<String, String> env = Map.of("HOME", home.toString(), "XDG_CONFIG_HOME", home.resolve("config").toString(),
                "PATH", System.getenv("PATH"));
        try (DbusDaemon bus = DbusDaemon.start();
             StandInSystemd systemd = new StandInSystemd(bus.address(), Map.of(
                     "1bit-proxy.service", "/org/freedesktop/systemd1/unit/_31bit_2dproxy_2eservice"))) {
            // What systemd would do for ExecStart=1bit proxy: run it in the foreground.
            systemd.on("1bit-proxy.service", () -> {
                try {
                    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                            "-cp", System.getProperty("java.class.path"), Main.class.getName(), "proxy")
                            .redirectErrorStream(true).redirectOutput(home.resolve("unit.log").toFile());
                    builder.environment().putAll(env);
                    proxy.set(builder.start());
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            }, () -> proxy.get().destroy());
            cli.env("ONEBIT_SYSTEMD", "user").env("DBUS_SESSION_BUS_ADDRESS", bus.address());
            Cli.Result up = cli.run("up");
            assertThat(up.code()).as(up.toString()).isZero();
            assertThat(up.out()).contains("proxy: started unit 1bit-proxy.service through systemd --user", ":" + proxyPort);
            Cli.Result again = cli.run("up");
            assertThat(again.out()).contains("proxy: unchanged, unit 1bit-proxy.service already active");
            Cli.Result down = cli.run("down");
            assertThat(down.code()).as(down.toString()).isZero();
            assertThat(down.out()).contains("proxy: stopped unit 1bit-proxy.service through systemd --user");
            assertThat(systemd.calls()).contains("StartUnit 1bit-proxy.service replace", "StopUnit 1bit-proxy.service replace");
            assertThat(proxy.get().waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(home.resolve("state/1bit/proxy.pid")).doesNotExist();
        } finally {
            if (proxy.get() != null) {
                proxy.get().destroyForcibly();
            }
        }
    }
}
