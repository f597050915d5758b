package systems.onebit.proxy;

import java.net.URI;
import java.util.List;
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

    /**
     * Where an OpenAI path ({@code /chat/completions}) goes: appended to the URL's own path when that ends in
     * {@code /v1} ({@code http://host/openai/v1}), else under {@code /v1} of the URL's path.
     */
    URI api(String rest, String rawQuery) {
        String base = trimmed(url.getRawPath());
        String path = (base.endsWith("/v1") ? base : base + "/v1") + rest;
        return url.resolve(path + (rawQuery.isEmpty() ? "" : "?" + rawQuery));
    }

    /** A server path ({@code /health}, {@code /props}) beside the API: the URL's path without a trailing /v1. */
    URI root(String path, String rawQuery) {
        String base = trimmed(url.getRawPath());
        if (base.endsWith("/v1")) {
            base = base.substring(0, base.length() - 3);
        }
        return url.resolve(base + path + (rawQuery.isEmpty() ? "" : "?" + rawQuery));
    }

    private static String trimmed(String path) {
        String p = path == null ? "" : path;
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }
}
