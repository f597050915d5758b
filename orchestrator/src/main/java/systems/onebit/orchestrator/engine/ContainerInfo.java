package systems.onebit.orchestrator.engine;

import java.util.Map;

/** A container as the engine reports it. */
public record ContainerInfo(String id, String name, String image, State state, String status, Map<String, String> labels) {

    public ContainerInfo {
        labels = Map.copyOf(labels);
    }

    public enum State {
        CREATED, RUNNING, PAUSED, RESTARTING, EXITED, STOPPING, REMOVING, DEAD, UNKNOWN;

        public static State parse(String text) {
            if (text == null) {
                return UNKNOWN;
            }
            try {
                return valueOf(text.trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                // Podman reports "configured" and "stopped" where Docker says created and exited.
                return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
                    case "configured", "initialized" -> CREATED;
                    case "stopped" -> EXITED;
                    default -> UNKNOWN;
                };
            }
        }

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public String label(String key) {
        return labels.getOrDefault(key, "");
    }
}
