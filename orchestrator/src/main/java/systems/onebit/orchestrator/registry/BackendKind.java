package systems.onebit.orchestrator.registry;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What serves a backend: a 1bit toolbox container, Lemonade, FastFlowLM, or any OpenAI-compatible URL. */
public enum BackendKind {
    TOOLBOX,
    LEMONADE,
    FLM,
    OPENAI;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<BackendKind> parse(String text) {
        return Arrays.stream(values()).filter(k -> k.id().equals(text.toLowerCase(Locale.ROOT))).findFirst();
    }
}
