package systems.onebit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.ondemand.ModelScheduler;
import systems.onebit.orchestrator.ondemand.ToolboxModelRunner;
import systems.onebit.orchestrator.pull.HfCache;
import systems.onebit.orchestrator.pull.HubClient;
import systems.onebit.orchestrator.pull.ModelCatalog;
import systems.onebit.orchestrator.pull.PullJobs;
import systems.onebit.orchestrator.pull.PullService;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.registry.RegistryStore;
import systems.onebit.orchestrator.testing.HubStandIn;
import systems.onebit.orchestrator.testing.TinyGguf;

/**
 * Lemonade's pull API on the proxy ({@code docs/api/lemonade.md}): a waiting pull, SSE progress, a server-owned job
 * polled through {@code downloads} and paused, then resumed — downloading from the Hub stand-in into the HF cache
 * and registering the model, which the proxy then lists.
 */
class LemonadePullIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    private HubStandIn hub;
    private ProxyServer proxy;
    private RegistryStore store;
    private URI api;
    private byte[] model;

    @BeforeEach
    void start() throws Exception {
        hub = new HubStandIn();
        model = Files.readAllBytes(new TinyGguf().embedding(128).write(dir.resolve("made/tiny.gguf")));
        hub.put("org/Tiny-GGUF", "Tiny-Q8_0.gguf", model);
        store = new RegistryStore(dir.resolve("config/registry.yaml"));
        store.update(r -> new Registry("127.0.0.1", Registry.PROXY_PORT, "", List.of()));
        PullService service = new PullService(new HubClient(new HubClient.Settings(hub.endpoint(), Optional.empty(),
                Duration.ofSeconds(10))), "127.0.0.1", new HfCache(dir.resolve("hub")), ModelCatalog.embedded(), store,
                Optional::empty, new PullService.Settings(2, Duration.ofMillis(10), dir.resolve("url-models")));
        Registry registry = store.read();
        // Registered models become loadable by name; none is loaded here, so no container is ever made.
        ModelScheduler.Settings settings = ModelScheduler.Settings.defaults(8L << 30);
        ModelScheduler scheduler = new ModelScheduler(() -> store.read().models(), ModelScheduler.estimator(settings),
                new ToolboxModelRunner(() -> {
                    throw new IllegalStateException("this test loads no model");
                }), settings);
        proxy = ProxyServer.start(RegistryWatch.of(store), ProxyServer.Settings.defaults(registry).withPort(0)
                        .withTimers(Duration.ofMillis(200), Duration.ofMinutes(2)),
                new Observer(line -> { }), scheduler, new PullJobs(service::pull, ModelCatalog.embedded()));
        api = URI.create("http://127.0.0.1:" + proxy.port() + "/api/v1/");
    }

    @AfterEach
    void stop() {
        proxy.close();
        hub.close();
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(api.resolve(path)).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode downloads() throws Exception {
        return JSON.readTree(HTTP.send(HttpRequest.newBuilder(api.resolve("downloads")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    void aWaitingPullInstallsAndRegistersTheModel() throws Exception {
        HttpResponse<String> pulled = post("pull", "{\"model_name\":\"user.tiny\",\"checkpoint\":\"org/Tiny-GGUF:Q8_0\"}");
        assertThat(pulled.statusCode()).as(pulled.body()).isEqualTo(200);
        assertThat(JSON.readTree(pulled.body())).isEqualTo(JSON.readTree("{\"status\":\"success\",\"message\":\"Installed model: user.tiny\"}"));
        assertThat(store.read().model("tiny")).map(m -> m.path().getFileName().toString()).contains("Tiny-Q8_0.gguf");
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!HTTP.send(HttpRequest.newBuilder(api.resolve("models")).build(), HttpResponse.BodyHandlers.ofString())
                .body().contains("\"tiny\"") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(post("pull", "{\"model_name\":\"tiny\"}").body()).as("served now: already installed")
                .contains("Installed model: tiny");
        HttpResponse<String> unknown = post("pull", "{\"model_name\":\"nothing-like-it\"}");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("neither served here nor in the catalog", "checkpoint");
        HttpResponse<String> failing = post("pull", "{\"model_name\":\"user.nope\",\"checkpoint\":\"org/Nope-GGUF:Q8_0\"}");
        assertThat(failing.statusCode()).isEqualTo(500);
        assertThat(JSON.readTree(failing.body()).path("status").asText()).isEqualTo("error");
        assertThat(JSON.readTree(failing.body()).path("message").asText()).contains("not on the Hub (404)");
    }

    @Test
    void streamedProgressEndsWithComplete() throws Exception {
        hub.throttle(model.length / 2);
        HttpResponse<String> events = post("pull",
                "{\"model_name\":\"user.tiny\",\"checkpoint\":\"org/Tiny-GGUF:Q8_0\",\"stream\":true}");
        assertThat(events.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        List<String> names = events.body().lines().filter(l -> l.startsWith("event: ")).map(l -> l.substring(7)).toList();
        assertThat(names).last().isEqualTo("complete");
        assertThat(names).contains("progress");
        String firstProgress = events.body().lines().filter(l -> l.startsWith("data: ") && l.contains("bytes_downloaded"))
                .findFirst().orElseThrow();
        JsonNode data = JSON.readTree(firstProgress.substring(6));
        assertThat(data.path("file").asText()).isEqualTo("Tiny-Q8_0.gguf");
        assertThat(data.path("total_files").asInt()).isEqualTo(1);
        assertThat(data.path("bytes_total").asLong()).isEqualTo(model.length);
    }

    @Test
    void aServerOwnedJobIsPolledPausedAndResumed() throws Exception {
        hub.throttle(model.length / 3);
        HttpResponse<String> started = post("pull",
                "{\"model_name\":\"user.tiny\",\"checkpoint\":\"org/Tiny-GGUF:Q8_0\",\"stream\":true,\"subscribe\":false}");
        JsonNode job = JSON.readTree(started.body());
        assertThat(job.path("id").asText()).isEqualTo("model:user.tiny");
        assertThat(job.path("status").asText()).isEqualTo("downloading");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (downloads().path(0).path("bytes_downloaded").asLong() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(JSON.readTree(post("downloads/control", "{\"id\":\"model:user.tiny\",\"action\":\"pause\"}").body())
                .path("id").asText()).isEqualTo("model:user.tiny");
        while (downloads().path(0).path("running").asBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        JsonNode paused = downloads().path(0);
        assertThat(paused.path("status").asText()).isEqualTo("paused");
        assertThat(paused.path("complete").asBoolean()).isFalse();
        assertThat(store.read().model("tiny")).isEmpty();

        hub.throttle(0);
        post("pull", "{\"model_name\":\"user.tiny\",\"checkpoint\":\"org/Tiny-GGUF:Q8_0\",\"stream\":true,\"subscribe\":false}");
        while (!downloads().path(0).path("complete").asBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        JsonNode done = downloads().path(0);
        assertThat(done.path("status").asText()).isEqualTo("completed");
        assertThat(done.path("percent").asInt()).isEqualTo(100);
        assertThat(hub.seen().getLast().range()).as("resumed, not restarted").matches("bytes=[1-9]\\d*-");
        assertThat(store.read().model("tiny")).isPresent();
        assertThat(post("downloads/control", "{\"id\":\"model:user.tiny\",\"action\":\"remove\"}").statusCode()).isEqualTo(200);
        assertThat(downloads()).isEmpty();
        assertThat(post("downloads/control", "{\"id\":\"model:other\",\"action\":\"pause\"}").statusCode()).isEqualTo(404);
    }
}
