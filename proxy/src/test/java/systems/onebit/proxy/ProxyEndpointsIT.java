package systems.onebit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.testing.LlamaServer;
import systems.onebit.orchestrator.testing.TinyGguf;

/**
 * The rest of the routed API on real llama-servers: OpenAI Responses, Anthropic Messages and rerank (a second
 * llama-server started with --reranking), each routed by its model under /v1 and /api/v1.
 */
class ProxyEndpointsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    static Path dir;

    private static LlamaServer chat;
    private static LlamaServer reranker;
    private static ProxyServer proxy;
    private static URI base;

    @BeforeAll
    static void start() throws Exception {
        chat = LlamaServer.start(new TinyGguf().seed(11).write(dir.resolve("chat.gguf")), "talker", dir);
        reranker = LlamaServer.start(new TinyGguf().seed(12).write(dir.resolve("rank.gguf")), "ranker", dir, 512,
                List.of("--reranking"));
        Registry registry = new Registry("127.0.0.1", 0, "chat", List.of(
                new Backend("chat", BackendKind.OPENAI, chat.url(), "", List.of(), List.of(), 100, true),
                new Backend("rank", BackendKind.OPENAI, reranker.url(), "", List.of(), List.of(), 100, true)));
        proxy = ProxyServer.start(RegistryWatch.fixed(registry), ProxyServer.Settings.defaults(registry).withPort(0),
                new Observer(line -> { }));
        base = URI.create("http://127.0.0.1:" + proxy.port());
        // The union is filled by background probes: wait until both models are listed.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline && !get("/v1/models").body().contains("ranker")) {
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (chat != null) {
            chat.close();
        }
        if (reranker != null) {
            reranker.close();
        }
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void responsesApiIsRoutedByModel() throws Exception {
        HttpResponse<String> response = post("/v1/responses", "{\"model\":\"talker\",\"input\":\"hi\",\"max_output_tokens\":4}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-1bit-Backend")).contains("chat");
        JsonNode doc = JSON.readTree(response.body());
        assertThat(doc.get("object").asText()).isEqualTo("response");
        assertThat(doc.get("model").asText()).isEqualTo("talker");
        assertThat(doc.path("output").get(0).path("content").get(0).path("text").asText()).isNotEmpty();
    }

    @Test
    void anthropicMessagesAreRoutedByModelUnderApiV1() throws Exception {
        HttpResponse<String> response = post("/api/v1/messages",
                "{\"model\":\"talker\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode doc = JSON.readTree(response.body());
        assertThat(doc.get("type").asText()).isEqualTo("message");
        assertThat(doc.get("stop_reason").asText()).isEqualTo("max_tokens");
    }

    @Test
    void rerankGoesToTheRerankerAndAnUnknownModelIsNotSentAnywhere() throws Exception {
        HttpResponse<String> response = post("/v1/rerank",
                "{\"model\":\"ranker\",\"query\":\"a\",\"documents\":[\"b\",\"c\",\"d\"]}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-1bit-Backend")).contains("rank");
        JsonNode results = JSON.readTree(response.body()).get("results");
        assertThat(results).hasSize(3);
        assertThat(results).allSatisfy(r -> assertThat(r.has("relevance_score")).isTrue());

        HttpResponse<String> unknown = post("/v1/rerank", "{\"model\":\"nope\",\"query\":\"a\",\"documents\":[\"b\"]}");
        assertThat(unknown.statusCode()).isEqualTo(404);
        JsonNode error = JSON.readTree(unknown.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("model_not_found");
        assertThat(error.get("message").asText()).contains("ranker", "talker");
    }
}
