package systems.onebit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.testing.LlamaServer;
import systems.onebit.orchestrator.testing.TinyGguf;

/** The proxy over two real llama-servers serving different generated models. */
class ProxyIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static TwoBackends backends;
    private static LlamaServer alpha;
    private static LlamaServer beta;
    private static ProxyServer proxy;
    private static URI base;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final List<String> ACCESS = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        backends = new TwoBackends(dir, 1);
        alpha = backends.alpha;
        beta = backends.beta;
        Registry registry = backends.registry;
        proxy = ProxyServer.start(RegistryWatch.fixed(registry),
                ProxyServer.Settings.defaults(registry).withPort(0).withMaxBodyBytes(64 * 1024), new Observer(ACCESS::add));
        base = URI.create("http://127.0.0.1:" + proxy.port());
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (backends != null) {
            backends.close();
        }
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":6,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
    }

    @Test
    void modelsAreTheUnionUnderEveryPrefix() throws Exception {
        for (String prefix : List.of("/v1", "/api/v1", "/api/v0")) {
            JsonNode doc = JSON.readTree(HTTP.send(HttpRequest.newBuilder(base.resolve(prefix + "/models")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertThat(doc.get("data")).extracting(m -> m.get("id").asText() + "@" + m.get("owned_by").asText())
                    .containsExactly("alpha@a", "beta@b");
        }
        HttpResponse<String> one = HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/models/beta")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(one.body()).get("owned_by").asText()).isEqualTo("b");
    }

    @Test
    void chatIsRoutedByModel() throws Exception {
        for (String model : List.of("alpha", "beta")) {
            HttpResponse<String> r = post("/v1/chat/completions", chat(model, false));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("X-1bit-Backend")).contains(model.equals("alpha") ? "a" : "b");
            assertThat(JSON.readTree(r.body()).get("model").asText()).isEqualTo(model);
        }
        HttpResponse<String> anthropic = post("/v1/messages",
                "{\"model\":\"alpha\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}");
        assertThat(anthropic.statusCode()).as(anthropic.body()).isEqualTo(200);
        assertThat(anthropic.headers().firstValue("X-1bit-Backend")).contains("a");
        assertThat(JSON.readTree(anthropic.body()).get("type").asText()).isEqualTo("message");
        HttpResponse<String> embeddings = post("/v1/embeddings", "{\"model\":\"beta\",\"input\":\"hello world\"}");
        assertThat(embeddings.statusCode()).as(embeddings.body()).isEqualTo(200);
        assertThat(JSON.readTree(embeddings.body()).at("/data/0/embedding").size()).isEqualTo(64);
        HttpResponse<String> completion = post("/api/v1/completions", "{\"model\":\"beta\",\"prompt\":\"once upon\",\"max_tokens\":4}");
        assertThat(completion.statusCode()).as(completion.body()).isEqualTo(200);
        assertThat(completion.headers().firstValue("X-1bit-Backend")).contains("b");
    }

    @Test
    void streamingArrivesAsSeparateEvents() throws Exception {
        HttpResponse<java.io.InputStream> r = HTTP.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(chat("beta", true))).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        List<String> events = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith("data: ")) {
                    events.add(line.substring(6));
                }
            }
        }
        assertThat(events.getLast()).isEqualTo("[DONE]");
        assertThat(events.size()).isGreaterThanOrEqualTo(6);
    }

    @Test
    void aStreamToAClientThatAsksToCloseEndsWithTheConnection() throws Exception {
        String body = chat("beta", true);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(10_000);  // a connection left open after the stream fails here
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n"
                    + body).getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 200 OK").contains("text/event-stream").contains("data: [DONE]");
        }
    }

    @Test
    void anUnknownModelIs404InOpenAiFormatListingTheModels() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", chat("gpt-4o", false));
        assertThat(r.statusCode()).isEqualTo(404);
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("model_not_found");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("message").asText()).contains("gpt-4o", "alpha", "beta");
    }

    @Test
    void malformedJsonIs400AndAnOversizedBodyIs413() throws Exception {
        HttpResponse<String> bad = post("/v1/chat/completions", "{\"model\": \"alpha\", ");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).at("/error/code").asText()).isEqualTo("invalid_json");
        String huge = "{\"model\":\"alpha\",\"prompt\":\"" + "x".repeat(100_000) + "\"}";
        HttpResponse<String> big = post("/v1/completions", huge);
        assertThat(big.statusCode()).isEqualTo(413);
        assertThat(JSON.readTree(big.body()).at("/error/code").asText()).isEqualTo("request_too_large");
        // and the proxy still serves
        assertThat(post("/v1/chat/completions", chat("alpha", false)).statusCode()).isEqualTo(200);
    }

    @Test
    void registryChangesAreReloadedAndAliasesRoute() throws Exception {
        var store = new systems.onebit.orchestrator.registry.RegistryStore(dir.resolve("reload/registry.yaml"));
        store.update(r -> new Registry("127.0.0.1", 13306, "a", List.of(
                new Backend("a", BackendKind.OPENAI, alpha.url(), "", List.of(), List.of(), 100, true))));
        Registry initial = store.read();
        try (ProxyServer reloading = ProxyServer.start(RegistryWatch.of(store), new ProxyServer.Settings("127.0.0.1", 0,
                1 << 20, Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofMillis(200), "", List.of(), 8, 64,
                Duration.ofMinutes(1), false, 3, Duration.ofSeconds(10), Map.of()),
                new Observer(line -> { }))) {
            URI at = URI.create("http://127.0.0.1:" + reloading.port() + "/v1/models");
            assertThat(ids(at)).containsExactly("alpha");
            // A stream in flight while the registry changes runs to its end.
            var inFlight = HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + reloading.port()
                            + "/v1/chat/completions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(chat("alpha", true).replace("\"max_tokens\":6", "\"max_tokens\":1500")))
                    .build(), HttpResponse.BodyHandlers.ofString());
            Thread.sleep(20);  // a distinct modification time
            store.update(r -> new Registry(r.proxyHost(), r.proxyPort(), r.defaultBackend(), r.with(
                    new Backend("b", BackendKind.OPENAI, beta.url(), "", List.of(), List.of(), 100, true)).backends(),
                    java.util.Map.of("smart", "beta")));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!ids(at).contains("beta") && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(ids(at)).containsExactly("alpha", "beta", "smart");
            HttpResponse<String> viaAlias = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                            + reloading.port() + "/v1/chat/completions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(chat("smart", false))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(viaAlias.statusCode()).as(viaAlias.body()).isEqualTo(200);
            assertThat(viaAlias.headers().firstValue("X-1bit-Backend")).contains("b");
            String streamed = inFlight.get().body();
            assertThat(streamed).contains("data: [DONE]").doesNotContain("\"error\"");
        }
        assertThat(initial.aliases()).isEmpty();
    }

    private static List<String> ids(URI models) throws Exception {
        List<String> ids = new ArrayList<>();
        JSON.readTree(HTTP.send(HttpRequest.newBuilder(models).build(), HttpResponse.BodyHandlers.ofString()).body())
                .get("data").forEach(m -> ids.add(m.get("id").asText()));
        return ids;
    }

    @Test
    void metricsAndTheAccessLogRecordEachRequest() throws Exception {
        assertThat(post("/v1/chat/completions", chat("alpha", false)).statusCode()).isEqualTo(200);
        assertThat(post("/v1/chat/completions", chat("nope", false)).statusCode()).isEqualTo(404);
        String metrics = HTTP.send(HttpRequest.newBuilder(base.resolve("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics)
                .containsPattern("onebit_proxy_requests_total\\{backend=\"a\",model=\"alpha\",status=\"200\"} [1-9]")
                .containsPattern("onebit_proxy_errors_total\\{backend=\"\",model=\"nope\",status=\"404\"} [1-9]")
                .contains("onebit_proxy_request_seconds_bucket{backend=\"a\",model=\"alpha\",le=\"+Inf\"}")
                .contains("onebit_proxy_first_byte_seconds_count{backend=\"a\",model=\"alpha\"}")
                .containsPattern("onebit_proxy_generated_tokens_total\\{backend=\"a\",model=\"alpha\"} [1-9]")
                .containsPattern("onebit_proxy_tokens_per_second\\{backend=\"a\",model=\"alpha\"} [0-9.E]+");
        assertThat(ACCESS).anySatisfy(line -> assertThat(line)
                .matches("POST /v1/chat/completions model=alpha backend=a status=200 ttfb_ms=[0-9.]+ total_ms=[0-9.]+ bytes=[1-9][0-9]*"));
        assertThat(ACCESS).anySatisfy(line -> assertThat(line).startsWith("POST /v1/chat/completions model=nope backend=- status=404 ttfb_ms=-"));
    }

    @Test
    void healthReportsEachBackend() throws Exception {
        JsonNode doc = JSON.readTree(HTTP.send(HttpRequest.newBuilder(base.resolve("/health")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        assertThat(doc.get("backends")).extracting(b -> b.get("name").asText() + "=" + b.get("healthy").asBoolean())
                .containsExactly("a=true", "b=true");
    }
}
