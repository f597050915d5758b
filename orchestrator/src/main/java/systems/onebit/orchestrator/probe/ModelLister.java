package systems.onebit.orchestrator.probe;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import systems.onebit.orchestrator.OrchestratorException;

/** Reads an OpenAI-compatible {@code /v1/models} list. */
public final class ModelLister {

    public List<String> models(URI base, String path, Duration timeout) {
        HttpProbe.Result result = HttpProbe.get(base, path, timeout);
        URI target = base.resolve(path);
        if (!result.ok()) {
            throw new OrchestratorException(OrchestratorException.Reason.ENGINE_ERROR,
                    target + " did not give a model list (" + result.health() + ")", "see the backend's log");
        }
        return ids(result.body()).orElseThrow(() -> new OrchestratorException(OrchestratorException.Reason.ENGINE_ERROR,
                target + " did not give a model list (not OpenAI JSON)", "see the backend's log"));
    }

    /** The model ids of a {@code /v1/models} answer; empty when it is not one. */
    public static java.util.Optional<List<String>> ids(String body) {
        try {
            JsonNode data = systems.onebit.orchestrator.json.Trees.read(systems.onebit.orchestrator.json.Trees.JSON, body).path("data");
            if (!data.isArray()) {
                return java.util.Optional.empty();
            }
            List<String> ids = new ArrayList<>();
            data.forEach(m -> {
                if (m.hasNonNull("id")) {
                    ids.add(m.get("id").asText());
                }
            });
            return java.util.Optional.of(ids);
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }
}
