package systems.onebit.orchestrator.registry;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What serves a backend: a 1bit toolbox container, Lemonade, FastFlowLM, any OpenAI-compatible URL, or another 1bit
 * proxy (a peer: its models join the union as {@code PEER/model} and under their bare ids).
 */
public enum BackendKind {
    TOOLBOX,
    LEMONADE,
    FLM,
    OPENAI,
    PEER;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<BackendKind> parse(String text) {
        return Arrays.stream(values()).filter(k -> k.id().equals(text.toLowerCase(Locale.ROOT))).findFirst();
    }
}
