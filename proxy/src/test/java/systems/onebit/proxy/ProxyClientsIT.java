package systems.onebit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unmodified real clients (the official OpenAI Java SDK, the npm openai package) through the proxy. */
class ProxyClientsIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static TwoBackends backends;
    private static ProxyServer proxy;
    private static String baseUrl;

    @BeforeAll
    static void start() throws Exception {
        backends = new TwoBackends(dir, 11);
        proxy = ProxyServer.start(backends.registry, ProxyServer.Settings.defaults(backends.registry).withPort(0));
        baseUrl = "http://127.0.0.1:" + proxy.port() + "/v1";
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {proxy, backends}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    @Test
    void officialJavaSdk() {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(baseUrl).apiKey("not-needed").build();
        assertThat(client.models().list().data()).extracting(Model::id).containsExactly("alpha", "beta");

        ChatCompletion chat = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("alpha").maxTokens(5).addUserMessage("hello").build());
        assertThat(chat.model()).isEqualTo("alpha");
        assertThat(chat.choices().getFirst().message().content()).isPresent();

        StringBuilder streamed = new StringBuilder();
        int chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("beta").maxTokens(5).addUserMessage("hello").build())) {
            chunks = (int) stream.stream().peek(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(streamed::append)))
                    .count();
        }
        assertThat(chunks).isGreaterThanOrEqualTo(5);
        assertThat(streamed).isNotEmpty();

        Completion completion = client.completions().create(CompletionCreateParams.builder()
                .model("beta").prompt("once upon").maxTokens(4).build());
        assertThat(completion.choices().getFirst().text()).isNotEmpty();

        var embedding = client.embeddings().create(com.openai.models.embeddings.EmbeddingCreateParams.builder()
                .model("beta").input("hello world").build());
        assertThat(embedding.data().getFirst().embedding()).hasSize(64);

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.chat().completions().create(
                        ChatCompletionCreateParams.builder().model("no-such-model").maxTokens(2).addUserMessage("x").build()))
                .isInstanceOf(NotFoundException.class);
        client.close();
    }

    @Test
    void npmOpenAiPackage() throws Exception {
        Path nodeDir = Path.of("src/test/node");
        if (!Files.isDirectory(nodeDir.resolve("node_modules/openai"))) {
            throw new IllegalStateException("the npm openai package is missing: run `npm ci` in proxy/src/test/node (CI does)");
        }
        Process node = new ProcessBuilder("node", "client.mjs", baseUrl, "alpha", "beta").directory(nodeDir.toFile())
                .redirectErrorStream(true).start();
        assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(node.exitValue()).as(output).isZero();
        JsonNode seen = JSON.readTree(output.lines().reduce((a, b) -> b).orElse("{}"));
        assertThat(seen.get("models")).extracting(JsonNode::asText).containsExactly("alpha", "beta");
        assertThat(seen.get("chatModel").asText()).isEqualTo("alpha");
        assertThat(seen.get("chatContent").asText()).isNotEmpty();
        assertThat(seen.get("chunks").asInt()).isGreaterThanOrEqualTo(5);
        assertThat(seen.get("streamed").asText()).isNotEmpty();
        assertThat(seen.get("completionText").asText()).isNotEmpty();
        assertThat(seen.get("unknownStatus").asInt()).isEqualTo(404);
        assertThat(seen.get("embeddingLength").asInt()).isEqualTo(64);
    }
}
