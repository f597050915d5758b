package systems.onebit.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static systems.onebit.orchestrator.testing.PodmanTestService.podman;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.engine.PodmanEngine;
import systems.onebit.orchestrator.host.HostPaths;
import systems.onebit.orchestrator.host.ProcessLimits;
import systems.onebit.orchestrator.manifest.ManifestCatalog;
import systems.onebit.orchestrator.ondemand.ModelScheduler;
import systems.onebit.orchestrator.ondemand.ToolboxModelRunner;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.ModelEntry;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.testing.LlamaServer;
import systems.onebit.orchestrator.testing.PodmanTestService;
import systems.onebit.orchestrator.testing.TestImages;
import systems.onebit.orchestrator.testing.TinyGguf;
import systems.onebit.orchestrator.toolbox.ToolboxService;

/**
 * GAIA's exact sequence against {@code http://127.0.0.1:PORT/api/v1} (its Lemonade client, {@code lemonade_client.py}):
 * health → models → load (with the ctx_size GAIA asks for) → chat, streamed and not → unload of one model → stats and
 * system-info, with a real llama-server as a fixed backend and an on-demand model in a real Podman container. Every
 * field GAIA reads is asserted; bad input gets a 404 that lists the models.
 */
class GaiaFlowIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    static Path dir;

    private static LlamaServer fixed;
    private static ProxyServer proxy;
    private static URI api;

    @BeforeAll
    static void start() throws Exception {
        Path manifests = TestImages.cpuManifest(dir.resolve("manifests")).getParent();
        Path models = Files.createDirectories(dir.resolve("models"));
        Path onDemand = new TinyGguf().seed(31).context(4096).name("gaia-chat").write(models.resolve("gaia-chat.gguf"));
        fixed = LlamaServer.start(new TinyGguf().seed(32).write(dir.resolve("fixed.gguf")), "fixed-model", dir);
        ToolboxService toolboxes = new ToolboxService(() -> ManifestCatalog.load(manifests),
                PodmanEngine.connect(PodmanTestService.socket(), Duration.ofSeconds(10)), HostPaths.real(),
                ProcessLimits.read(HostPaths.real()));
        Registry registry = new Registry("127.0.0.1", 0, "fixed",
                List.of(new Backend("fixed", BackendKind.OPENAI, fixed.url(), "", List.of(), List.of(), 100, true)),
                Map.of(), List.of(new ModelEntry("gaia-chat", onDemand, 512, "cpu", 1, false)));
        ModelScheduler.Settings settings = ModelScheduler.Settings.defaults(8L << 30)
                .withTimes(Duration.ofMinutes(5), Duration.ofSeconds(90), Duration.ofSeconds(20), Duration.ofMillis(300));
        ModelScheduler scheduler = new ModelScheduler(registry::models, ModelScheduler.estimator(settings),
                new ToolboxModelRunner(() -> toolboxes), settings);
        proxy = ProxyServer.start(RegistryWatch.fixed(registry), ProxyServer.Settings.defaults(registry).withPort(0),
                new Observer(line -> { }), scheduler);
        api = URI.create("http://127.0.0.1:" + proxy.port() + "/api/v1/");
        // The fixed backend is probed at start; wait for its model to be listed.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!get("models").body().contains("fixed-model") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (fixed != null) {
            fixed.close();
        }
        assertThat(podman("ps", "-a", "--filter", "label=systems.onebit.on-demand", "--format", "{{.Names}}").strip())
                .as("on-demand containers left after the proxy closed").isEmpty();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(api.resolve(path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(api.resolve(path)).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(150)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode loaded(String model) throws Exception {
        JsonNode health = JSON.readTree(get("health").body());
        for (JsonNode m : health.path("all_models_loaded")) {
            if (m.path("model_name").asText().equals(model)) {
                return m;
            }
        }
        return JSON.missingNode();
    }

    @Test
    void gaiasSequenceWorksEndToEnd() throws Exception {
        // 1. health: status, and every loaded model with its recipe and context.
        HttpResponse<String> health = get("health");
        assertThat(health.statusCode()).isEqualTo(200);
        JsonNode doc = JSON.readTree(health.body());
        assertThat(doc.path("status").asText()).isEqualTo("ok");
        assertThat(doc.path("version").asText()).isNotBlank();
        JsonNode fixedEntry = loaded("fixed-model");
        assertThat(fixedEntry.path("recipe").asText()).isEqualTo("llamacpp");
        assertThat(fixedEntry.path("type").asText()).isEqualTo("llm");
        assertThat(fixedEntry.at("/recipe_options/ctx_size").asInt()).as(health.body()).isEqualTo(256);  // -c 512, 2 slots
        assertThat(loaded("gaia-chat").isMissingNode()).as("not loaded yet").isTrue();

        // 2. models: both, downloaded.
        JsonNode models = JSON.readTree(get("models").body());
        List<String> ids = new ArrayList<>();
        for (JsonNode m : models.path("data")) {
            assertThat(m.path("downloaded").asBoolean()).as(m.toString()).isTrue();
            assertThat(m.path("recipe").asText()).isEqualTo("llamacpp");
            ids.add(m.path("id").asText());
        }
        assertThat(ids).contains("fixed-model", "gaia-chat");

        // 3. load: first as registered, then with the larger context GAIA asks for: started again with it.
        HttpResponse<String> load = post("load", "{\"model_name\":\"gaia-chat\"}");
        assertThat(load.statusCode()).as(load.body()).isEqualTo(200);
        assertThat(JSON.readTree(load.body()).path("status").asText()).isEqualTo("success");
        assertThat(loaded("gaia-chat").at("/recipe_options/ctx_size").asInt()).isEqualTo(512);
        String firstContainer = loaded("gaia-chat").path("backend_url").asText();
        HttpResponse<String> larger = post("load", "{\"model_name\":\"gaia-chat\",\"ctx_size\":2048}");
        assertThat(larger.statusCode()).as(larger.body()).isEqualTo(200);
        assertThat(loaded("gaia-chat").at("/recipe_options/ctx_size").asInt()).isEqualTo(2048);
        assertThat(loaded("gaia-chat").path("backend_url").asText()).as("a new backend").isNotEqualTo(firstContainer);
        HttpResponse<String> same = post("load", "{\"model_name\":\"gaia-chat\",\"ctx_size\":1024}");
        assertThat(same.statusCode()).isEqualTo(200);
        assertThat(loaded("gaia-chat").path("backend_url").asText()).as("a smaller ask keeps it").isEqualTo(
                loaded("gaia-chat").path("backend_url").asText());
        assertThat(loaded("gaia-chat").at("/recipe_options/ctx_size").asInt()).isEqualTo(2048);
        HttpResponse<String> loadFixed = post("load", "{\"model_name\":\"fixed-model\",\"ctx_size\":32768}");
        assertThat(loadFixed.statusCode()).isEqualTo(200);

        // 4. chat through /api/v1, plain and streamed, to both.
        for (String model : List.of("gaia-chat", "fixed-model")) {
            HttpResponse<String> plain = post("chat/completions", "{\"model\":\"" + model
                    + "\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
            assertThat(JSON.readTree(plain.body()).at("/choices/0/message/role").asText()).isEqualTo("assistant");
            HttpResponse<String> streamed = post("chat/completions", "{\"model\":\"" + model
                    + "\",\"stream\":true,\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            assertThat(streamed.statusCode()).isEqualTo(200);
            assertThat(streamed.body()).contains("data: [DONE]").doesNotContain("\"error\"");
        }
        assertThat(JSON.readTree(get("health").body()).path("model_loaded").asText()).isEqualTo("fixed-model");

        // 5. unload one model: only that one goes.
        HttpResponse<String> unload = post("unload", "{\"model_name\":\"gaia-chat\"}");
        assertThat(unload.statusCode()).as(unload.body()).isEqualTo(200);
        assertThat(JSON.readTree(unload.body()).path("unloaded")).extracting(JsonNode::asText).containsExactly("gaia-chat");
        assertThat(loaded("gaia-chat").isMissingNode()).isTrue();
        assertThat(loaded("fixed-model").isMissingNode()).isFalse();

        // 6. stats and system-info.
        JsonNode stats = JSON.readTree(get("stats").body());
        assertThat(stats.path("request_count_total").asLong()).isGreaterThanOrEqualTo(4);
        assertThat(stats.path("output_tokens").asLong()).isPositive();
        assertThat(stats.has("time_to_first_token") && stats.has("tokens_per_second") && stats.has("input_tokens")).isTrue();
        JsonNode info = JSON.readTree(get("system-info").body());
        assertThat(info.path("Processor").asText()).isNotBlank();
        assertThat(info.path("Physical Memory").asText()).endsWith("GB");
        assertThat(info.at("/devices/cpu/available").asBoolean()).isTrue();
        assertThat(info.at("/devices/amd_npu").has("available")).isTrue();
        assertThat(post("params", "{\"temperature\":0.2}").statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(get("params").body()).path("temperature").asDouble()).isEqualTo(0.2);
    }

    @Test
    void unknownModelsToLoadUnloadAndPullAre404sThatListTheModels() throws Exception {
        for (String path : List.of("load", "unload", "pull")) {
            HttpResponse<String> r = post(path, "{\"model_name\":\"gpt-4o\"}");
            assertThat(r.statusCode()).as(path).isEqualTo(404);
            assertThat(JSON.readTree(r.body()).at("/error/message").asText()).contains("gpt-4o", "fixed-model", "gaia-chat");
        }
        assertThat(post("pull", "{\"model_name\":\"gaia-chat\"}").statusCode()).isEqualTo(200);
        assertThat(post("load", "{}").statusCode()).isEqualTo(400);
    }
}
