package systems.onebit.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static systems.onebit.orchestrator.testing.PodmanTestService.podman;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.engine.PodmanEngine;
import systems.onebit.orchestrator.host.HostPaths;
import systems.onebit.orchestrator.host.ProcessLimits;
import systems.onebit.orchestrator.manifest.ManifestCatalog;
import systems.onebit.orchestrator.ondemand.ModelRunner;
import systems.onebit.orchestrator.ondemand.ModelScheduler;
import systems.onebit.orchestrator.ondemand.OnDemandModels;
import systems.onebit.orchestrator.ondemand.RunningModel;
import systems.onebit.orchestrator.ondemand.ToolboxModelRunner;
import systems.onebit.orchestrator.registry.ModelEntry;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.testing.PodmanTestService;
import systems.onebit.orchestrator.testing.TestImages;
import systems.onebit.orchestrator.testing.TinyGguf;
import systems.onebit.orchestrator.toolbox.ToolboxService;

/**
 * On-demand models end to end: the proxy starts REAL llama-server containers (rootful Podman, the image built from
 * the cached binary) for registered GGUF models of different sizes when a request names them, within a small memory
 * budget (room for two of the three at once), so loading, eviction and swapping really happen; idle TTLs, pinning,
 * a container killed while requests are queued and while one streams.
 */
class OnDemandIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final long OVERHEAD = 64L << 20;

    @TempDir
    static Path dir;

    private static ToolboxService toolboxes;
    private static Path small;
    private static Path medium;
    private static Path large;

    private ModelScheduler scheduler;
    private ProxyServer proxy;
    private URI base;
    private final Map<String, AtomicInteger> starts = new ConcurrentHashMap<>();

    @BeforeAll
    static void images() throws Exception {
        Path manifests = TestImages.cpuManifest(dir.resolve("manifests")).getParent();
        Path models = Files.createDirectories(dir.resolve("models"));
        small = new TinyGguf().seed(1).context(512).name("small").write(models.resolve("small.gguf"));
        medium = new TinyGguf().seed(2).context(512).embedding(128).name("medium").write(models.resolve("medium.gguf"));
        large = new TinyGguf().seed(3).context(4096).embedding(256).layers(4).name("large").write(models.resolve("large.gguf"));
        toolboxes = new ToolboxService(() -> ManifestCatalog.load(manifests),
                PodmanEngine.connect(PodmanTestService.socket(), Duration.ofSeconds(10)), HostPaths.real(),
                ProcessLimits.read(HostPaths.real()));
    }

    /** The real container runner, counting starts per model (to show that concurrent cold requests share one). */
    private ModelRunner counting(ModelRunner real) {
        return new ModelRunner() {
            @Override
            public RunningModel start(ModelEntry model, Duration timeout) {
                starts.computeIfAbsent(model.alias(), a -> new AtomicInteger()).incrementAndGet();
                return real.start(model, timeout);
            }

            @Override
            public void stop(RunningModel model) {
                real.stop(model);
            }

            @Override
            public boolean alive(RunningModel model, Duration timeout) {
                return real.alive(model, timeout);
            }

            @Override
            public List<RunningModel> adopt(List<ModelEntry> registered) {
                return real.adopt(registered);
            }
        };
    }

    private void start(List<ModelEntry> models, long budget, Duration ttl) {
        Registry registry = new Registry("127.0.0.1", 0, "", List.of(), Map.of(), models);
        ModelScheduler.Settings settings = ModelScheduler.Settings.defaults(budget).withOverhead(OVERHEAD)
                .withTimes(ttl, Duration.ofSeconds(90), Duration.ofSeconds(20), Duration.ofMillis(300))
                .withWaitTick(Duration.ofMillis(200));
        scheduler = new ModelScheduler(registry::models, ModelScheduler.estimator(settings),
                counting(new ToolboxModelRunner(() -> toolboxes)), settings).start();
        proxy = ProxyServer.start(RegistryWatch.fixed(registry), ProxyServer.Settings.defaults(registry).withPort(0),
                new Observer(line -> { }), scheduler);
        base = URI.create("http://127.0.0.1:" + proxy.port());
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();  // unloads every model: no container is left
        }
        assertThat(podman("ps", "-a", "--filter", "label=systems.onebit.on-demand", "--format", "{{.Names}}").strip())
                .as("on-demand containers left after the proxy closed").isEmpty();
    }

    private static ModelEntry model(String alias, Path file, int parallel) {
        return new ModelEntry(alias, file, 0, "cpu", parallel, false);
    }

    private static long size(ModelEntry entry) {
        return systems.onebit.orchestrator.ondemand.ModelMemory.estimate(entry, OVERHEAD).total();
    }

    private HttpResponse<String> chat(String model, int tokens) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions")).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"max_tokens\":" + tokens
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertAnswered(HttpResponse<String> answer, String model) throws Exception {
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode doc = JSON.readTree(answer.body());
        assertThat(doc.path("object").asText()).as(answer.body()).isEqualTo("chat.completion");
        assertThat(doc.path("model").asText()).isEqualTo(model);
        assertThat(doc.path("usage").path("completion_tokens").asInt()).isPositive();
    }

    /** The lines of a streamed chat completion, read as they come. */
    private List<String> stream(String model, int tokens, Runnable afterFirstData) throws Exception {
        HttpResponse<java.io.InputStream> answer = HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model + "\",\"stream\":true,\"max_tokens\":" + tokens
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(answer.statusCode()).isEqualTo(200);
        List<String> lines = new ArrayList<>();
        boolean first = true;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(answer.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    continue;
                }
                lines.add(line);
                if (first && line.startsWith("data: {")) {
                    first = false;
                    afterFirstData.run();
                }
            }
        }
        return lines;
    }

    private JsonNode running() throws Exception {
        return JSON.readTree(HTTP.send(HttpRequest.newBuilder(base.resolve("/running")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private List<String> loaded() throws Exception {
        List<String> out = new ArrayList<>();
        running().path("running").forEach(m -> out.add(m.path("model").asText()));
        return out;
    }

    @Test
    void concurrentClientsOverThreeModelsWithRoomForTwo() throws Exception {
        ModelEntry a = model("small", small, 2);
        ModelEntry b = model("medium", medium, 2);
        ModelEntry c = model("large", large, 2);
        long budget = Math.max(Math.max(size(a) + size(b), size(b) + size(c)), size(a) + size(c)) + (1 << 20);
        assertThat(size(a) + size(b) + size(c)).as("the three must not fit together").isGreaterThan(budget);
        start(List.of(a, b, c), budget, Duration.ofMinutes(5));

        // Registered models are listed before they are loaded.
        String listed = HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/models")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(listed).contains("\"small\"", "\"medium\"", "\"large\"");
        assertThat(loaded()).isEmpty();

        // Five concurrent cold requests for one model: one start.
        try (ExecutorService pool = Executors.newFixedThreadPool(5)) {
            List<Future<HttpResponse<String>>> cold = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                cold.add(pool.submit(() -> chat("small", 3)));
            }
            for (Future<HttpResponse<String>> f : cold) {
                assertAnswered(f.get(), "small");
            }
        }
        assertThat(starts.get("small").get()).isEqualTo(1);

        // Six clients, each asking for the three models in its own order, streaming and not: all answered, none lost.
        List<String> aliases = List.of("small", "medium", "large");
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger answered = new AtomicInteger();
        try (ExecutorService pool = Executors.newFixedThreadPool(6)) {
            List<Future<?>> clients = new ArrayList<>();
            for (int client = 0; client < 6; client++) {
                int offset = client;
                clients.add(pool.submit(() -> {
                    for (int round = 0; round < 3; round++) {
                        String m = aliases.get((offset + round) % 3);
                        try {
                            if ((offset + round) % 2 == 0) {
                                assertAnswered(chat(m, 4), m);
                            } else {
                                List<String> lines = stream(m, 4, () -> { });
                                assertThat(lines).as(m + ": " + lines).anyMatch(l -> l.startsWith("data: {") && l.contains("\"model\":\"" + m + "\""));
                                assertThat(lines.getLast()).as(m + ": " + lines).isEqualTo("data: [DONE]");
                                assertThat(lines).noneMatch(l -> l.contains("\"error\""));
                            }
                            answered.incrementAndGet();
                        } catch (Throwable e) {
                            problems.add(m + ": " + e);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : clients) {
                f.get();
            }
        }
        assertThat(problems).isEmpty();
        assertThat(answered.get()).isEqualTo(18);
        // The budget held: never all three; and models were swapped (some loaded more than once).
        JsonNode now = running();
        assertThat(now.path("usedBytes").asLong()).isLessThanOrEqualTo(budget);
        assertThat(loaded()).hasSizeLessThanOrEqualTo(2);
        assertThat(starts.values().stream().mapToInt(AtomicInteger::get).sum()).as("starts " + starts).isGreaterThan(3);

        // Unload one, then all.
        HttpResponse<String> unload = HTTP.send(HttpRequest.newBuilder(base.resolve("/unload")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"nope\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(unload.statusCode()).isEqualTo(404);
        unload = HTTP.send(HttpRequest.newBuilder(base.resolve("/unload")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(unload.statusCode()).isEqualTo(200);
        assertThat(loaded()).isEmpty();
    }

    @Test
    void idleModelsAreUnloadedPinnedOnesStayAndStreamingClientsGetKeepalivesWhileALoadRuns() throws Exception {
        ModelEntry idle = model("small", small, 1);
        ModelEntry pinned = new ModelEntry("medium", medium, 0, "cpu", 1, true);
        start(List.of(idle, pinned), 8L << 30, Duration.ofSeconds(2));

        // Cold and streaming: comment lines while the container starts, then the answer.
        List<String> lines = stream("small", 3, () -> { });
        assertThat(lines.getFirst()).startsWith(": loading model small");
        assertThat(lines).anyMatch(l -> l.startsWith("data: {") && l.contains("\"model\":\"small\""));
        assertThat(lines.getLast()).isEqualTo("data: [DONE]");
        assertAnswered(chat("medium", 3), "medium");
        assertThat(loaded()).containsExactlyInAnyOrder("small", "medium");

        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (loaded().contains("small") && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(loaded()).containsExactly("medium");
        Thread.sleep(2500);
        assertThat(loaded()).as("a pinned model outlives the TTL").containsExactly("medium");
    }

    @Test
    void aNewProxyTakesOverModelsAnEarlierOneLeftRunningAndRemovesStaleOnes() throws Exception {
        ModelEntry kept = model("small", small, 1);
        ModelEntry changed = model("medium", medium, 1);
        start(List.of(kept, changed), 8L << 30, Duration.ofMinutes(5));
        assertAnswered(chat("small", 2), "small");
        assertAnswered(chat("medium", 2), "medium");
        String keptContainer = podman("ps", "--filter", "label=systems.onebit.on-demand=small", "--format", "{{.ID}}").strip();
        // A second scheduler, as after the proxy crashed: "medium" is now registered with another file.
        ModelEntry moved = model("medium", large, 1);
        ModelScheduler.Settings settings = ModelScheduler.Settings.defaults(8L << 30).withOverhead(OVERHEAD);
        Map<String, AtomicInteger> before = Map.copyOf(starts);
        try (ModelScheduler next = new ModelScheduler(() -> List.of(kept, moved), ModelScheduler.estimator(settings),
                counting(new ToolboxModelRunner(() -> toolboxes)), settings).start()) {
            assertThat(next.running()).extracting(m -> m.alias() + "=" + m.state()).containsExactly("small=ready");
            assertThat(podman("ps", "--filter", "label=systems.onebit.on-demand=small", "--format", "{{.ID}}").strip())
                    .isEqualTo(keptContainer);
            assertThat(podman("ps", "-a", "--filter", "label=systems.onebit.on-demand=medium", "--format", "{{.Names}}").strip())
                    .as("the container for the old medium file is removed").isEmpty();
            assertThat(starts.get("small").get()).isEqualTo(before.get("small").get());
            try (OnDemandModels.Lease lease = next.acquire("small", () -> { })) {
                assertThat(lease.backend().container()).isEqualTo(ToolboxModelRunner.containerName("small"));
            }
        }
    }

    @Test
    void aKilledBackendIsRestartedQueuedRequestsAreRetriedAndTheStreamEndsWithAnError() throws Exception {
        ModelEntry one = new ModelEntry("large", large, 4096, "cpu", 1, false);
        start(List.of(one), 8L << 30, Duration.ofMinutes(5));
        assertAnswered(chat("large", 2), "large");
        String container = running().path("running").get(0).path("backend").asText();

        List<Future<HttpResponse<String>>> queued = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(3)) {
            // One stream holds the only slot; two requests queue behind it in llama-server; then the container dies.
            List<String> lines = stream("large", 3000, () -> {
                for (int i = 0; i < 2; i++) {
                    queued.add(pool.submit(() -> chat("large", 3)));
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                podman("kill", container);
            });
            assertThat(lines.getLast()).as("the stream ends with an error event").contains("\"error\"").contains("upstream_error");
            for (Future<HttpResponse<String>> f : queued) {
                assertAnswered(f.get(), "large");  // retried on the restarted backend
            }
        }
        JsonNode model = running().path("running").get(0);
        assertThat(model.path("restarts").asInt()).isEqualTo(1);
        assertThat(model.path("backend").asText()).isEqualTo(container);
        assertThat(model.path("state").asText()).isEqualTo("ready");
        assertAnswered(chat("large", 2), "large");
    }
}
