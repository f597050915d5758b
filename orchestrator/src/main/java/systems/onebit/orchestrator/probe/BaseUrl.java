package systems.onebit.orchestrator.probe;

import java.net.URI;

/**
 * Where a backend's paths go, its URL's own path kept ({@code http://host/openai/v1}): OpenAI paths under the URL's
 * {@code /v1}, server paths ({@code /health}, {@code /props}, {@code /api/v1/health}) beside it.
 */
public final class BaseUrl {

    private BaseUrl() {
    }

    /** {@code /chat/completions} → appended to the URL's path when that ends in {@code /v1}, else under its {@code /v1}. */
    public static URI api(URI url, String rest, String rawQuery) {
        String base = trimmed(url.getRawPath());
        String path = (base.endsWith("/v1") ? base : base + "/v1") + rest;
        return url.resolve(path + (rawQuery.isEmpty() ? "" : "?" + rawQuery));
    }

    /** A server path beside the API: the URL's path without a trailing {@code /v1}, then {@code path}. */
    public static URI root(URI url, String path, String rawQuery) {
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
