package systems.onebit.orchestrator.pull;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.json.Trees;

/** The checked-in list of models known to run well on Strix Halo ({@code catalog.yaml} beside this class). */
public final class ModelCatalog {

    /**
     * One catalog model.
     *
     * @param kind            {@code llm}, {@code embedding} (llama-server with --embeddings) or {@code whisper} (not a
     *                        llama-server model: downloaded, not registered)
     * @param bytes           the download's size, all shards
     * @param tokensPerSecond published generation speed on Strix Halo, with its {@code source}
     */
    public record Entry(String name, String ref, String kind, long bytes, String flavor, long context, List<String> args,
                        String summary, Optional<Double> tokensPerSecond, String source) {
        public Entry {
            args = List.copyOf(args);
        }

        public boolean registers() {
            return !kind.equals("whisper");
        }
    }

    private final List<Entry> entries;

    public ModelCatalog(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    public static ModelCatalog embedded() {
        try (InputStream in = ModelCatalog.class.getResourceAsStream("catalog.yaml")) {
            if (in == null) {
                throw new IllegalStateException("catalog.yaml is missing from the build");
            }
            JsonNode root = Trees.read(Trees.YAML, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            List<Entry> entries = new ArrayList<>();
            for (JsonNode m : root.path("models")) {
                List<String> args = new ArrayList<>();
                m.path("args").forEach(a -> args.add(a.asText()));
                entries.add(new Entry(m.path("name").asText(), m.path("ref").asText(), m.path("kind").asText("llm"),
                        m.path("bytes").asLong(), m.path("flavor").asText("vulkan-radv"), m.path("context").asLong(0), args,
                        m.path("summary").asText(""),
                        m.hasNonNull("tokensPerSecond") ? Optional.of(m.path("tokensPerSecond").asDouble()) : Optional.empty(),
                        m.path("source").asText("")));
            }
            return new ModelCatalog(entries);
        } catch (IOException e) {
            throw new IllegalStateException("catalog.yaml does not read", e);
        }
    }

    public List<Entry> entries() {
        return entries;
    }

    public Entry require(String name) {
        return entries.stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow(() ->
                OrchestratorException.notFound("no model named '" + name + "' in the catalog",
                        "see `1bit models catalog`, or give org/repo:QUANT"));
    }
}
