package systems.onebit.orchestrator.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.apps.LocalApps;
import systems.onebit.orchestrator.engine.ContainerSpec;
import systems.onebit.orchestrator.host.HostPaths;
import systems.onebit.orchestrator.lanes.Refused;
import systems.onebit.orchestrator.ondemand.ToolboxModelRunner;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.status.StatusReport.Component;
import systems.onebit.orchestrator.testing.InMemoryEngine;
import systems.onebit.orchestrator.toolbox.Labels;

/** Status logic without Podman: containers in the in-memory engine, backends as small HTTP servers on loopback. */
class StatusServiceTest {

    private static final String IMAGE = "localhost/test/busybox:1";

    @TempDir
    Path home;

    private final InMemoryEngine engine = new InMemoryEngine(Set.of(IMAGE));

    @AfterEach
    void close() {
        engine.close();
    }

    private StatusService service(ContainerListing containers) {
        Map<String, String> env = Map.of("HOME", home.toString(), "PATH", home.toString());
        return new StatusService(new StatusService.Sources(env, home.resolve("config"), Map::of, containers,
                () -> new LocalApps(env, new HostPaths(home)), registry -> new Refused("gaia", OrchestratorException.precondition("GAIA is not installed", ""))));
    }

    private void toolboxContainer(String name, int port) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(Labels.BACKEND, name);
        labels.put(Labels.FLAVOR, "cpu");
        labels.put(Labels.HOST, "127.0.0.1");
        labels.put(Labels.PORT, Integer.toString(port));
        labels.put(Labels.HEALTH_PATH, "/health");
        labels.put(Labels.MODELS_PATH, "/v1/models");
        engine.create(new ContainerSpec(name, IMAGE, List.of("sleep", "60"), Map.of(), labels, List.of(), List.of(), List.of(),
                List.of(), List.of(), true));
    }

    private static HttpServer openAi(String... models) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        StringBuilder data = new StringBuilder("{\"object\":\"list\",\"data\":[");
        for (int i = 0; i < models.length; i++) {
            data.append(i == 0 ? "" : ",").append("{\"id\":\"").append(models[i]).append("\",\"object\":\"model\"}");
        }
        byte[] body = data.append("]}").toString().getBytes();
        server.createContext("/", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Component row(StatusReport report, String name) {
        return report.components().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + name + " in " + report));
    }

    @Test
    void backendsContainersAndProxyMakeOneReportWithItsOverallState() throws Exception {
        HttpServer alive = openAi("a", "b");
        int silent = freePort();
        toolboxContainer("tb", silent);
        engine.start("tb");
        toolboxContainer("made-by-hand", freePort());
        toolboxContainer(ToolboxModelRunner.PREFIX + "m", freePort());
        try {
            Registry registry = new Registry("127.0.0.1", freePort(), "", List.of(
                    new Backend("alive", BackendKind.OPENAI, URI.create("http://127.0.0.1:" + alive.getAddress().getPort()),
                            "", List.of(), List.of(), 100, true),
                    new Backend("tb", BackendKind.TOOLBOX, URI.create("http://127.0.0.1:" + silent), "cpu", List.of(),
                            List.of(), 100, true)));
            StatusReport report = service(ContainerListing.of(engine)).collect(() -> registry, Duration.ofMillis(500));

            assertThat(report.components()).extracting(Component::name)
                    .containsExactly("proxy", "alive", "tb", "fastflowlm", "made-by-hand", "open-webui", "gaia");
            assertThat(row(report, "proxy").health()).isNotEqualTo("healthy");
            assertThat(row(report, "alive").healthy()).isTrue();
            assertThat(row(report, "alive").models()).isEqualTo(2);
            assertThat(row(report, "tb").state()).as("the container's state, from the engine").isEqualTo("running");
            assertThat(row(report, "tb").healthy()).isFalse();
            assertThat(row(report, "made-by-hand").state()).isEqualTo("created (not registered)");
            assertThat(row(report, "made-by-hand").counts()).isFalse();
            assertThat(report.components()).filteredOn(Component::counts).extracting(Component::name)
                    .containsExactly("proxy", "alive", "tb");
            assertThat(report.overall()).isEqualTo(StatusReport.Overall.DEGRADED);
        } finally {
            alive.stop(0);
        }
    }

    @Test
    void withoutAnEngineToolboxStatesAreUnknownAndAGoneContainerIsAbsent() throws Exception {
        Registry registry = new Registry("127.0.0.1", freePort(), "", List.of(new Backend("tb", BackendKind.TOOLBOX,
                URI.create("http://127.0.0.1:" + freePort()), "cpu", List.of(), List.of(), 100, true)));
        StatusReport none = service((labels, timeout) -> Optional.empty()).collect(() -> registry, Duration.ofMillis(300));
        assertThat(row(none, "tb").state()).isEqualTo("unknown (no Podman socket)");
        assertThat(none.overall()).isEqualTo(StatusReport.Overall.DOWN);

        StatusReport absent = service(ContainerListing.of(engine)).collect(() -> registry, Duration.ofMillis(300));
        assertThat(row(absent, "tb").state()).isEqualTo("absent");
    }

    @Test
    void everyCountedComponentHealthyIsHealthy() throws Exception {
        HttpServer proxy = openAi("x");
        HttpServer backend = openAi("x");
        try {
            Registry registry = new Registry("127.0.0.1", proxy.getAddress().getPort(), "", List.of(new Backend("b",
                    BackendKind.OPENAI, URI.create("http://127.0.0.1:" + backend.getAddress().getPort()), "", List.of(),
                    List.of(), 100, true)));
            StatusReport report = service(ContainerListing.of(engine)).collect(() -> registry, Duration.ofMillis(500));
            assertThat(row(report, "proxy").state()).isEqualTo("running");
            assertThat(report.overall()).isEqualTo(StatusReport.Overall.HEALTHY);
        } finally {
            proxy.stop(0);
            backend.stop(0);
        }
    }
}
