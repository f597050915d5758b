package systems.onebit.orchestrator.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test GGUF writer against a real llama-server: it loads, lists, chats and streams. */
class TinyGgufIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aRealLlamaServerLoadsChatsAndStreams() throws Exception {
        Path model = new TinyGguf().seed(7).write(dir.resolve("tiny.gguf"));
        assertThat(Files.size(model)).isLessThan(1 << 20);
        try (LlamaServer server = LlamaServer.start(model, "tiny-a", dir)) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            JsonNode models = JSON.readTree(http.send(HttpRequest.newBuilder(server.url().resolve("/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            assertThat(models.get("data")).extracting(m -> m.get("id").asText()).contains("tiny-a");

            String body = "{\"model\":\"tiny-a\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
            HttpResponse<String> chat = http.send(HttpRequest.newBuilder(server.url().resolve("/v1/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
            JsonNode answer = JSON.readTree(chat.body());
            assertThat(answer.at("/choices/0/message/content").asText()).isNotEmpty();
            assertThat(answer.at("/usage/completion_tokens").asInt()).isEqualTo(8);

            String streamBody = body.replace("\"max_tokens\":8", "\"max_tokens\":8,\"stream\":true");
            HttpResponse<String> stream = http.send(HttpRequest.newBuilder(server.url().resolve("/v1/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(streamBody)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(stream.statusCode()).as(stream.body()).isEqualTo(200);
            assertThat(stream.body()).contains("data: {").contains("data: [DONE]");
        }
    }
}
