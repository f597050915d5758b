package systems.onebit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.apps.LocalApps;
import systems.onebit.orchestrator.engine.PodmanEngine;
import systems.onebit.orchestrator.host.HostPaths;
import systems.onebit.orchestrator.host.ProcessLimits;
import systems.onebit.orchestrator.lanes.Refused;
import systems.onebit.orchestrator.logs.LogService;
import systems.onebit.orchestrator.manifest.ManifestCatalog;
import systems.onebit.orchestrator.ondemand.ModelScheduler;
import systems.onebit.orchestrator.ondemand.ToolboxModelRunner;
import systems.onebit.orchestrator.pull.PullJobs;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.ModelEntry;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.status.ContainerListing;
import systems.onebit.orchestrator.status.StatusService;
import systems.onebit.orchestrator.testing.LlamaServer;
import systems.onebit.orchestrator.testing.PodmanTestService;
import systems.onebit.orchestrator.testing.TestImages;
import systems.onebit.orchestrator.testing.TinyGguf;
import systems.onebit.orchestrator.toolbox.CreateRequest;
import systems.onebit.orchestrator.toolbox.ToolboxService;

/**
 * The status page at {@code /} in headless Chromium (Debian's, driven by playwright-core): the real stack (a real
 * llama-server backend, an on-demand model loaded in a real container) with the values the proxy's /health and
 * /running report, the access log live, unload from the page, no console errors; a cross-site POST refused; with
 * an API key, the page asks for it. The screenshot is written to target/status-page.png.
 */
class StatusPageIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final String toolbox = "statuspage-" + ProcessHandle.current().pid();
    private ToolboxService toolboxes;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private ProxyServer start(String key) throws Exception {
        return start(key, false);
    }

    /** @param withStatus whether the proxy has the stack's state, as when `1bit proxy` runs it */
    private ProxyServer start(String key, boolean withStatus) throws Exception {
        Path manifests = TestImages.cpuManifest(dir.resolve("manifests")).getParent();
        Path onDemand = new TinyGguf().seed(41).context(512).name("page-chat").write(Files.createDirectories(dir.resolve("models"))
                .resolve("page-chat.gguf"));
        LlamaServer fixed = LlamaServer.start(new TinyGguf().seed(42).write(dir.resolve("fixed.gguf")), "fixed-model", dir);
        open.add(fixed);
        PodmanEngine engine = PodmanEngine.connect(PodmanTestService.socket(), Duration.ofSeconds(10));
        toolboxes = new ToolboxService(() -> ManifestCatalog.load(manifests), engine, HostPaths.real(),
                ProcessLimits.read(HostPaths.real()));
        int port = freePort();  // the registry's port is where the status finds the proxy
        List<Backend> backends = new ArrayList<>(List.of(new Backend("fixed", BackendKind.OPENAI, fixed.url(), "", List.of(),
                List.of(), 100, true)));
        if (withStatus) {
            backends.add(toolbox());  // a toolbox backend, which the page can restart
        }
        Registry registry = new Registry("127.0.0.1", port, "fixed", backends,
                Map.of(), List.of(new ModelEntry("page-chat", onDemand, 256, "cpu", 1, false)));
        ModelScheduler.Settings settings = ModelScheduler.Settings.defaults(8L << 30)
                .withTimes(Duration.ofMinutes(5), Duration.ofSeconds(90), Duration.ofSeconds(20), Duration.ofMillis(300));
        ModelScheduler scheduler = new ModelScheduler(registry::models, ModelScheduler.estimator(settings),
                new ToolboxModelRunner(() -> toolboxes), settings);
        Map<String, String> env = Map.of("HOME", dir.toString(), "PATH", dir.toString());
        StackView status = !withStatus ? StackView.none() : StackView.of(new StatusService(new StatusService.Sources(env,
                dir.resolve("config"), Map::of, ContainerListing.of(engine), () -> new LocalApps(env, new HostPaths(dir)),
                r -> new Refused("gaia", OrchestratorException.precondition("not installed", "")))), Duration.ofSeconds(1),
                new LogService(() -> engine, dir, unit -> java.util.Optional.empty()), () -> toolboxes);
        ProxyServer proxy = ProxyServer.start(RegistryWatch.fixed(registry), ProxyServer.Settings.defaults(registry)
                .withPort(port).withAccess(key, List.of()), new Observer(line -> { }), scheduler, PullJobs.none(), status);
        open.add(proxy);
        return proxy;
    }

    /** A real toolbox container (llama-server on the test image), started and answering, removed after the test. */
    private Backend toolbox() throws Exception {
        Path model = new TinyGguf().seed(43).write(Files.createDirectories(dir.resolve("box")).resolve("box-chat.gguf"));
        int port = freePort();
        toolboxes.create(new CreateRequest(toolbox, "cpu", model, port, List.of(), false));
        open.add(() -> toolboxes.remove(toolbox, true));
        toolboxes.start(toolbox);
        toolboxes.probe(toolbox, Duration.ofSeconds(60));  // throws unless it answers
        return new Backend(toolbox, BackendKind.TOOLBOX, URI.create("http://127.0.0.1:" + port), "cpu", List.of(), List.of(),
                100, true);
    }

    private static int freePort() throws IOException {
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return free.getLocalPort();
        }
    }

    /** The toolbox's log (it keeps every run's lines). */
    private String log() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        toolboxes.logs(toolbox, false, out, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** How many times the toolbox's llama-server has started. */
    private static long starts(String log) {
        return log.lines().filter(l -> l.contains("llama_server: listening on")).count();
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode page(URI url, Path screenshot, String model, String key) throws Exception {
        Path nodeDir = Path.of("src/test/node");
        if (!Files.isDirectory(nodeDir.resolve("node_modules/playwright-core")) || !Files.isExecutable(Path.of("/usr/bin/chromium"))) {
            throw new IllegalStateException("playwright-core (npm ci in proxy/src/test/node) and Debian's chromium are needed");
        }
        List<String> command = new ArrayList<>(List.of("node", "page.mjs", url.toString(), screenshot.toAbsolutePath().toString(), model));
        if (!key.isEmpty()) {
            command.add(key);
        }
        Process node = new ProcessBuilder(command).directory(nodeDir.toFile()).redirectErrorStream(true).start();
        String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(node.waitFor(180, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).as(output).isZero();
        return JSON.readTree(output.lines().reduce((a, b) -> b).orElseThrow());
    }

    private static void load(URI base, String model, String key) throws Exception {
        HttpRequest.Builder chat = HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        if (!key.isEmpty()) {
            chat.header("Authorization", "Bearer " + key);
        }
        assertThat(send(chat).statusCode()).isEqualTo(200);
    }

    @Test
    void thePageShowsTheStackLogsLiveUnloadsAndRefusesCrossSitePosts() throws Exception {
        ProxyServer proxy = start("", true);
        URI base = URI.create("http://127.0.0.1:" + proxy.port());
        load(base, "page-chat", "");
        // What `1bit status --json` prints (the same StatusReport, the same document), as the proxy serves it.
        JsonNode status = JSON.readTree(send(HttpRequest.newBuilder(base.resolve("/api/v1/status"))).body());

        JsonNode seen = page(base.resolve("/"), Path.of("target/status-page.png"), "page-chat", "");
        assertThat(seen.path("consoleErrors")).as(seen.toString()).isEmpty();
        // The page's stack rows carry what the status reports.
        List<String> reported = new ArrayList<>();
        status.path("components").forEach(c -> reported.add(c.path("name").asText() + "=" + c.path("health").asText()));
        List<String> onPage = new ArrayList<>();
        seen.path("components").forEach(c -> onPage.add(c.path("name").asText() + "=" + c.path("health").asText()));
        assertThat(onPage).containsExactlyElementsOf(reported).contains("proxy=healthy", "fixed=healthy", "page-chat=healthy");
        assertThat(seen.path("models")).extracting(JsonNode::asText).containsExactly("page-chat");
        assertThat(seen.path("logMillis").asLong()).as("the log line within a second").isBetween(0L, 1000L);
        assertThat(seen.path("unloaded").asBoolean()).isTrue();
        assertThat(seen.path("reloaded").asBoolean()).as("loaded again from its row in the stack").isTrue();
        assertThat(seen.path("containerLog").asBoolean()).as("the on-demand llama-server's own log on the page").isTrue();
        // Restart on the toolbox's row (confirmed): Podman stopped and started it, its llama-server began again.
        assertThat(seen.path("restarted").asText()).startsWith(toolbox + ": restarted on http://127.0.0.1:");
        String log = log();
        assertThat(starts(log)).as(log).isEqualTo(2);
        assertThat(Path.of("target/status-page.png")).isNotEmptyFile();

        // Another site's page may not change the stack; the page itself (same origin) may.
        for (String[] header : new String[][] {{"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}}) {
            HttpResponse<String> refused = send(HttpRequest.newBuilder(base.resolve("/unload")).header(header[0], header[1])
                    .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"page-chat\"}")));
            assertThat(refused.statusCode()).as(header[0]).isEqualTo(403);
            assertThat(refused.body()).contains("cross_site_refused");
        }
        HttpResponse<String> crossSiteRestart = send(HttpRequest.newBuilder(base.resolve("/api/v1/toolbox/restart"))
                .header("Sec-Fetch-Site", "cross-site").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + toolbox + "\"}")));
        assertThat(crossSiteRestart.statusCode()).isEqualTo(403);
        HttpResponse<String> notOurs = send(HttpRequest.newBuilder(base.resolve("/api/v1/toolbox/restart"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"no-such-box\"}")));
        assertThat(notOurs.statusCode()).isEqualTo(404);
        assertThat(notOurs.body()).contains("no-such-box", "restart_failed");
        assertThat(starts(log())).as("refused restarts touched nothing").isEqualTo(2);
        HttpResponse<String> sameSite = send(HttpRequest.newBuilder(base.resolve("/unload"))
                .header("Origin", "http://127.0.0.1:" + proxy.port()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"page-chat\"}")));
        assertThat(sameSite.statusCode()).isEqualTo(200);
    }

    @Test
    void withAKeyThePageAsksForIt() throws Exception {
        String key = "sk-page-test";
        ProxyServer proxy = start(key);
        URI base = URI.create("http://127.0.0.1:" + proxy.port());
        assertThat(send(HttpRequest.newBuilder(base.resolve("/running"))).statusCode()).isEqualTo(401);
        assertThat(send(HttpRequest.newBuilder(base.resolve("/"))).statusCode()).as("the page's files carry no data").isEqualTo(200);
        load(base, "page-chat", key);
        JsonNode seen = page(base.resolve("/"), dir.resolve("keyed.png"), "page-chat", key);
        assertThat(seen.path("keyPrompt").asBoolean()).as("the data stayed hidden until the key was given").isTrue();
        assertThat(seen.path("consoleErrors")).as(seen.toString()).isEmpty();
        assertThat(seen.path("models")).extracting(JsonNode::asText).containsExactly("page-chat");
        assertThat(seen.path("reloaded").asBoolean()).as("a bare proxy's page has no status, so no load button").isFalse();
    }
}
