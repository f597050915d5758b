package systems.onebit.orchestrator.status;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole stack as `1bit status` shows it: every component, and the overall state the exit code follows (healthy
 * when every counted component is, down when none is, degraded between).
 */
public record StatusReport(List<Component> components) {

    public StatusReport {
        components = List.copyOf(components);
    }

    /**
     * One row.
     *
     * @param models -1 where the component serves no models
     * @param counts whether it decides the overall state (apps not installed and unregistered containers do not)
     */
    public record Component(String name, String kind, String endpoint, String state, String health, int models, long ms,
                            boolean counts) {
        public boolean healthy() {
            return health.equals("healthy");
        }

        Component withState(String value) {
            return new Component(name, kind, endpoint, value, health, models, ms, counts);
        }
    }

    public enum Overall {
        HEALTHY, DEGRADED, DOWN;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The JSON document `1bit status --json` prints and the proxy's {@code GET /api/v1/status} answers (docs/status.md). */
    public Map<String, Object> document() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Component c : components) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", c.name());
            row.put("kind", c.kind());
            row.put("endpoint", c.endpoint());
            row.put("state", c.state());
            row.put("health", c.health());
            row.put("models", c.models() < 0 ? null : c.models());
            row.put("ms", c.ms());
            row.put("counts", c.counts());
            rows.add(row);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("state", overall().id());
        doc.put("components", rows);
        return doc;
    }

    public Overall overall() {
        long counted = components.stream().filter(Component::counts).count();
        long healthy = components.stream().filter(Component::counts).filter(Component::healthy).count();
        return healthy == counted ? Overall.HEALTHY : healthy == 0 ? Overall.DOWN : Overall.DEGRADED;
    }
}
