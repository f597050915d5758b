package systems.onebit.orchestrator.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import systems.onebit.orchestrator.OrchestratorException;

/** Reads an OpenAI-compatible {@code /v1/models} list. */
public final class ModelLister {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    public List<String> models(URI base, String path, Duration timeout) {
        URI target = base.resolve(path);
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(target).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new OrchestratorException(OrchestratorException.Reason.ENGINE_ERROR,
                        target + " answered HTTP " + response.statusCode(), "see the backend's log");
            }
            JsonNode data = JSON.readTree(response.body()).path("data");
            List<String> ids = new ArrayList<>();
            data.forEach(m -> {
                if (m.hasNonNull("id")) {
                    ids.add(m.get("id").asText());
                }
            });
            return ids;
        } catch (IOException e) {
            throw new OrchestratorException(OrchestratorException.Reason.ENGINE_ERROR,
                    target + " did not give a model list (" + e.getMessage() + ")", "see the backend's log", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OrchestratorException(OrchestratorException.Reason.TIMEOUT, "interrupted", "");
        }
    }
}
