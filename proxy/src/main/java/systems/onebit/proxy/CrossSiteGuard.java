package systems.onebit.proxy;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.List;
import java.util.Optional;

/**
 * Refuses a browser's cross-site request to a route that changes the stack (unload, load, pull, downloads, the
 * page's actions): another site's page could otherwise post a form to 127.0.0.1. A request a browser marks
 * cross-site ({@code Sec-Fetch-Site}) or whose {@code Origin} is neither this proxy nor an allowed CORS origin gets
 * 403. Programs (SDKs, curl, GAIA) send neither header and pass.
 */
final class CrossSiteGuard implements Filter {

    private static final List<String> CONTROL = List.of("/unload", "/v1/unload", "/api/v1/load", "/api/v0/load",
            "/api/v1/unload", "/api/v0/unload", "/api/v1/pull", "/api/v0/pull", "/api/v1/downloads/control",
            "/api/v0/downloads/control", "/api/v1/params", "/api/v0/params", PageRoutes.RESTART);

    private final List<String> origins;

    CrossSiteGuard(List<String> origins) {
        this.origins = List.copyOf(origins);
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        Method method = req.prologue().method();
        if ((method == Method.POST || method == Method.DELETE || method == Method.PUT)
                && CONTROL.contains(req.path().path()) && crossSite(req)) {
            OpenAiError.invalid(403, "a cross-site request may not change the stack: use the page this proxy serves, "
                    + "or a program (no browser Origin)", "cross_site_refused").send(res);
            return;
        }
        chain.proceed();
    }

    private boolean crossSite(RoutingRequest req) {
        Optional<String> origin = req.headers().first(HeaderNames.ORIGIN);
        Optional<String> site = req.headers().first(HeaderNames.create("Sec-Fetch-Site"));
        if (origin.isPresent() && (origins.contains("*") || origins.contains(origin.get()))) {
            return false;  // a browser app the user allowed (--cors-origin)
        }
        if (site.isPresent() && site.get().equals("cross-site")) {
            return true;
        }
        if (origin.isEmpty()) {
            return false;
        }
        String host = req.headers().first(HeaderNames.HOST).orElse("");
        return !origin.get().equals("http://" + host) && !origin.get().equals("https://" + host);
    }
}
