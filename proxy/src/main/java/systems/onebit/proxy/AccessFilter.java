package systems.onebit.proxy;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;

/** The optional API key (Bearer, compared in constant time; /health and the page's files stay open) and CORS for browser clients. */
final class AccessFilter implements Filter {

    private final byte[] key;
    private final List<String> origins;

    AccessFilter(String apiKey, List<String> origins) {
        this.key = apiKey.getBytes(StandardCharsets.UTF_8);
        this.origins = List.copyOf(origins);
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        Optional<String> origin = req.headers().first(HeaderNames.ORIGIN);
        boolean allowed = origin.isPresent() && (origins.contains("*") || origins.contains(origin.get()));
        if (allowed) {
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origins.contains("*") ? "*" : origin.get());
            res.header(HeaderNames.VARY, "Origin");
        }
        if (req.prologue().method() == Method.OPTIONS && allowed) {
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, DELETE, OPTIONS");
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Content-Type, OpenAI-Beta, X-Request-Id");
            res.header(HeaderNames.ACCESS_CONTROL_MAX_AGE, "600");
            res.status(204).send();
            return;
        }
        // /health stays open (probes, systemd), as do the status page's files, which carry no data.
        String path = req.path().path();
        if (key.length > 0 && !path.equals("/health") && !PageRoutes.FILES.containsKey(path) && !path.equals(PageRoutes.CONFIG)
                && !authorized(req)) {
            OpenAiError.invalid(401, "missing or wrong API key: send Authorization: Bearer <key>",
                    "invalid_api_key").send(res);
            return;
        }
        chain.proceed();
    }

    private boolean authorized(RoutingRequest req) {
        String header = req.headers().first(HeaderNames.AUTHORIZATION).orElse("");
        byte[] given = header.startsWith("Bearer ") ? header.substring(7).getBytes(StandardCharsets.UTF_8) : new byte[0];
        return MessageDigest.isEqual(given, key);
    }
}
