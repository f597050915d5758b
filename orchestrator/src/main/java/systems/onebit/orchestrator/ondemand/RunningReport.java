package systems.onebit.orchestrator.ondemand;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import systems.onebit.orchestrator.json.Trees;

/**
 * The document of the proxy's {@code GET /running}: written by the proxy from its scheduler, read by
 * {@code 1bit models running} and the status ({@code StatusService}). One record for both sides, so the names cannot
 * drift apart; read with Jackson's streaming parser ({@link Trees}), which keeps {@code 1bit status} quick.
 */
public record RunningReport(long budgetBytes, long usedBytes, long loads, long evictions, List<Entry> running) {

    public RunningReport {
        running = List.copyOf(running);
    }

    /** One loaded model. */
    public record Entry(String model, String state, String backend, String url, long memoryBytes, boolean pinned,
                        int inFlight, double idleSeconds, long loadMillis, int restarts) {

        static Entry of(LoadedModel m) {
            return new Entry(m.alias(), m.state(), m.container(), m.url(), m.memoryBytes(), m.pinned(), m.inFlight(),
                    m.idle().toMillis() / 1000.0, m.loadTime().toMillis(), m.restarts());
        }
    }

    public static RunningReport of(OnDemandModels models) {
        List<LoadedModel> loaded = models.running();
        return new RunningReport(models.budgetBytes(), loaded.stream().mapToLong(LoadedModel::memoryBytes).sum(),
                models.loads(), models.evictions(), loaded.stream().map(Entry::of).toList());
    }

    /** The JSON document, field by field (what {@code GET /running} answers). */
    public Map<String, Object> document() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("budgetBytes", budgetBytes);
        doc.put("usedBytes", usedBytes);
        doc.put("loads", loads);
        doc.put("evictions", evictions);
        List<Map<String, Object>> list = new ArrayList<>();
        for (Entry e : running) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", e.model());
            m.put("state", e.state());
            m.put("backend", e.backend());
            m.put("url", e.url());
            m.put("memoryBytes", e.memoryBytes());
            m.put("pinned", e.pinned());
            m.put("inFlight", e.inFlight());
            m.put("idleSeconds", e.idleSeconds());
            m.put("loadMillis", e.loadMillis());
            m.put("restarts", e.restarts());
            list.add(m);
        }
        doc.put("running", list);
        return doc;
    }

    /** Reads what {@link #document()} wrote; throws for text that is not such a document. */
    public static RunningReport parse(String json) throws IOException {
        JsonNode doc = Trees.read(Trees.JSON, json);
        if (!doc.path("running").isArray()) {
            throw new IOException("not a /running document (no \"running\" list)");
        }
        List<Entry> entries = new ArrayList<>();
        for (JsonNode m : doc.path("running")) {
            entries.add(new Entry(m.path("model").asText(), m.path("state").asText(), m.path("backend").asText(),
                    m.path("url").asText(), m.path("memoryBytes").asLong(), m.path("pinned").asBoolean(),
                    m.path("inFlight").asInt(), m.path("idleSeconds").asDouble(), m.path("loadMillis").asLong(),
                    m.path("restarts").asInt()));
        }
        return new RunningReport(doc.path("budgetBytes").asLong(), doc.path("usedBytes").asLong(), doc.path("loads").asLong(),
                doc.path("evictions").asLong(), entries);
    }
}
