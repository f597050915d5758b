package systems.onebit.proxy;

import java.net.URI;
import java.util.List;
import systems.onebit.orchestrator.probe.BaseUrl;
import systems.onebit.orchestrator.registry.BackendKind;

/**
 * A backend as the proxy sees it right now: where it is, what kind, its registry priority, the models it listed at
 * the last probe, whether it counts as up, how many requests it serves at once and the context of each (llama-server's
 * {@code /props}: slots and per-slot context; 0 when it does not say).
 */
public record LiveBackend(String name, URI url, BackendKind kind, int priority, List<String> models, boolean healthy,
                          int slots, int context) {
    public LiveBackend {
        models = List.copyOf(models);
    }

    public LiveBackend(String name, URI url, int priority, List<String> models, boolean healthy) {
        this(name, url, BackendKind.OPENAI, priority, models, healthy, 0, 0);
    }

    /** Where an OpenAI path ({@code /chat/completions}) goes: see {@link BaseUrl#api}. */
    URI api(String rest, String rawQuery) {
        return BaseUrl.api(url, rest, rawQuery);
    }

    /** A server path ({@code /health}, {@code /props}) beside the API: see {@link BaseUrl#root}. */
    URI root(String path, String rawQuery) {
        return BaseUrl.root(url, path, rawQuery);
    }
}
