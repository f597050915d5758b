package systems.onebit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;

/**
 * Stand-ins for Lemonade and FastFlowLM (neither can run here), each serving the paths and shapes its project
 * documents: Lemonade's {@code /api/v1/health} and {@code /api/v1/models} behind an API key
 * ({@code LEMONADE_API_KEY}, every path), FastFlowLM's {@code /api/tags} (it has no /health) and a {@code /v1/models}
 * that lists every model it supports, downloaded or not. Behind the proxy: the union, routing, the key sent (and
 * never without it), and a backend that answers its model list with a web page counted as down.
 */
class EcosystemStandInsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final String KEY = "lemon-" + Long.toHexString(System.nanoTime());

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    /** A stand-in server: path → JSON answer; every request's path and Authorization header recorded. */
    private record StandIn(HttpServer server, List<String> seen) implements AutoCloseable {
        URI url() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private StandIn standIn(String requiredKey, Map<String, String> answers, String contentType) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        List<String> seen = new CopyOnWriteArrayList<>();
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            seen.add(path + " " + (auth == null ? "-" : auth));
            exchange.getRequestBody().readAllBytes();
            if (!requiredKey.isEmpty() && !("Bearer " + requiredKey).equals(auth)) {
                answer(exchange, 401, "application/json", "{\"error\":{\"message\":\"Invalid API key\"}}");
            } else if (answers.containsKey(path)) {
                answer(exchange, 200, contentType, answers.get(path));
            } else {
                answer(exchange, 404, "application/json", "{\"error\":{\"message\":\"not found\"}}");
            }
        });
        server.start();
        StandIn s = new StandIn(server, seen);
        open.add(s);
        return s;
    }

    private static void answer(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private static String chat(String model) {
        return "{\"object\":\"chat.completion\",\"model\":\"" + model + "\",\"choices\":[{\"index\":0,\"message\":"
                + "{\"role\":\"assistant\",\"content\":\"from " + model + "\"},\"finish_reason\":\"stop\"}]}";
    }

    /** Lemonade's documented shapes (docs/api/lemonade.md, openai.md), behind its API key. */
    private StandIn lemonade() throws IOException {
        String chat = chat("Qwen3-0.6B-GGUF");
        return standIn(KEY, Map.of(
                "/api/v1/health", "{\"status\":\"ok\",\"version\":\"10.1.0\",\"model_loaded\":null,\"all_models_loaded\":[]}",
                "/api/v1/models", "{\"object\":\"list\",\"data\":[{\"id\":\"Qwen3-0.6B-GGUF\",\"object\":\"model\",\"owned_by\":"
                        + "\"lemonade\",\"checkpoint\":\"unsloth/Qwen3-0.6B-GGUF:Q4_0\",\"recipe\":\"llamacpp\",\"downloaded\":true}]}",
                "/v1/chat/completions", chat, "/api/v1/chat/completions", chat), "application/json");
    }

    /** FastFlowLM's: /api/tags (Ollama-style), and /v1/models listing every supported model. */
    private StandIn fastFlowLm() throws IOException {
        return standIn("", Map.of(
                "/api/tags", "{\"models\":[{\"name\":\"llama3.2:1b\",\"model\":\"llama3.2:1b\"}]}",
                "/v1/models", "{\"object\":\"list\",\"data\":[{\"id\":\"llama3.2:1b\",\"object\":\"model\"},"
                        + "{\"id\":\"gemma3:4b\",\"object\":\"model\"},{\"id\":\"qwen3:8b\",\"object\":\"model\"}]}",
                "/v1/chat/completions", chat("llama3.2:1b")), "application/json");
    }

    private ProxyServer proxy(Map<String, String> environment, Backend... backends) {
        Registry registry = new Registry("127.0.0.1", 0, backends[0].name(), List.of(backends));
        ProxyServer proxy = ProxyServer.start(RegistryWatch.fixed(registry), ProxyServer.Settings.defaults(registry)
                .withPort(0).withEnvironment(environment).withHealth(3, Duration.ofMillis(500)), new Observer(line -> { }));
        open.add(proxy);
        return proxy;
    }

    private static HttpResponse<String> get(ProxyServer proxy, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> ask(ProxyServer proxy, String model) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"model\":\""
                        + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode backend(ProxyServer proxy, String name) throws Exception {
        for (JsonNode b : JSON.readTree(get(proxy, "/health").body()).path("backends")) {
            if (b.path("name").asText().equals(name)) {
                return b;
            }
        }
        throw new AssertionError("no backend " + name);
    }

    @Test
    void lemonadeWithItsKeyAndFastFlowLmJoinTheUnionAndServeTheirModels() throws Exception {
        StandIn lemonade = lemonade();
        StandIn flm = fastFlowLm();
        ProxyServer proxy = proxy(Map.of("LEMONADE_API_KEY", KEY),
                new Backend("lemonade", BackendKind.LEMONADE, lemonade.url(), "", List.of(), List.of(), 100, true,
                        "LEMONADE_API_KEY"),
                new Backend("npu", BackendKind.FLM, flm.url(), "", List.of("llama3.2:1b"), List.of(), 200, true));
        JsonNode models = JSON.readTree(get(proxy, "/v1/models").body());
        List<String> ids = new ArrayList<>();
        models.path("data").forEach(m -> ids.add(m.path("id").asText() + "@" + m.path("owned_by").asText()
                + "@" + m.path("recipe").asText()));
        // FastFlowLM's models the registry does not name (not downloaded) are not adopted.
        assertThat(ids).containsExactly("Qwen3-0.6B-GGUF@lemonade@lemonade", "llama3.2:1b@npu@flm");

        HttpResponse<String> fromLemonade = ask(proxy, "Qwen3-0.6B-GGUF");
        assertThat(fromLemonade.statusCode()).as(fromLemonade.body()).isEqualTo(200);
        assertThat(fromLemonade.headers().firstValue("X-1bit-Backend")).contains("lemonade");
        HttpResponse<String> fromNpu = ask(proxy, "llama3.2:1b");
        assertThat(fromNpu.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(fromNpu.body()).at("/choices/0/message/content").asText()).isEqualTo("from llama3.2:1b");
        assertThat(ask(proxy, "gemma3:4b").statusCode()).as("listed by FastFlowLM, not registered").isEqualTo(404);

        // Every request to Lemonade carried its key; none went to FastFlowLM.
        assertThat(lemonade.seen()).isNotEmpty().allSatisfy(s -> assertThat(s).endsWith(" Bearer " + KEY));
        assertThat(lemonade.seen()).anySatisfy(s -> assertThat(s).startsWith("/api/v1/health "))
                .anySatisfy(s -> assertThat(s).startsWith("/api/v1/models "));
        assertThat(flm.seen()).allSatisfy(s -> assertThat(s).endsWith(" -"))
                .anySatisfy(s -> assertThat(s).startsWith("/api/tags "));
    }

    @Test
    void aKeyMissingFromTheEnvironmentSendsNothingAndSaysWhichVariable() throws Exception {
        StandIn lemonade = lemonade();
        StandIn flm = fastFlowLm();
        ProxyServer proxy = proxy(Map.of(),
                new Backend("npu", BackendKind.FLM, flm.url(), "", List.of(), List.of(), 200, true),
                new Backend("lemonade", BackendKind.LEMONADE, lemonade.url(), "", List.of("Qwen3-0.6B-GGUF"), List.of(), 100,
                        true, "LEMONADE_API_KEY"));
        JsonNode down = backend(proxy, "lemonade");
        assertThat(down.path("healthy").asBoolean()).isFalse();
        assertThat(down.path("error").asText()).contains("$LEMONADE_API_KEY", "set neither in the proxy's environment nor in its credentials file", "1bit backends key lemonade");
        HttpResponse<String> refused = ask(proxy, "Qwen3-0.6B-GGUF");
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains("LEMONADE_API_KEY").doesNotContain(KEY);
        assertThat(lemonade.seen()).as("no request without the key").isEmpty();
        assertThat(ask(proxy, "llama3.2:1b").statusCode()).as("the other backend serves on").isEqualTo(200);
    }

    @Test
    void lemonadeOnTheToolboxBackendsPortIsNamedAndItsModelsAreNotAdopted() throws Exception {
        StandIn lemonade = standIn("", Map.of(
                "/api/v1/health", "{\"status\":\"ok\",\"version\":\"10.1.0\",\"all_models_loaded\":[]}",
                "/api/v1/models", "{\"object\":\"list\",\"data\":[{\"id\":\"Qwen3-0.6B-GGUF\"}]}",
                "/v1/models", "{\"object\":\"list\",\"data\":[{\"id\":\"Qwen3-0.6B-GGUF\"}]}"), "application/json");
        ProxyServer proxy = proxy(Map.of(), new Backend("llama", BackendKind.TOOLBOX, lemonade.url(), "vulkan-radv",
                List.of(), List.of(), 100, true));
        JsonNode llama = backend(proxy, "llama");
        assertThat(llama.path("healthy").asBoolean()).isFalse();
        assertThat(llama.path("error").asText()).contains("is Lemonade, not the toolbox backend 'llama'");
        assertThat(JSON.readTree(get(proxy, "/v1/models").body()).path("data")).isEmpty();
    }

    @Test
    void aBackendThatAnswersItsModelListWithAWebPageIsDown() throws Exception {
        StandIn page = standIn("", Map.of("/v1/models", "<!doctype html><html><body>Lemonade</body></html>"), "text/html");
        ProxyServer proxy = proxy(Map.of(), new Backend("old", BackendKind.OPENAI, page.url(), "", List.of(), List.of(), 100,
                true));
        JsonNode old = backend(proxy, "old");
        assertThat(old.path("healthy").asBoolean()).isFalse();
        assertThat(old.path("error").asText()).contains("not an OpenAI-compatible JSON answer");
        assertThat(JSON.readTree(get(proxy, "/v1/models").body()).path("data")).isEmpty();
    }
}
