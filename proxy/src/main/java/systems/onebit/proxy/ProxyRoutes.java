package systems.onebit.proxy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.PathMatchers;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.ondemand.LoadedModel;
import systems.onebit.orchestrator.ondemand.OnDemandModels;
import systems.onebit.orchestrator.ondemand.RunningReport;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;

/**
 * The proxy's routes over a view of its backends; production and tests ({@code @SetUpRoute}) register the same ones.
 * <ul>
 *   <li>{@code /v1}, {@code /api/v1}, {@code /api/v0}: the OpenAI API, models listed as the union, every other path
 *       forwarded by its model.</li>
 *   <li>{@code /llama/PATH}: llama-server's own endpoints ({@code /props}, {@code /slots}, {@code /tokenize},
 *       {@code /detokenize}, {@code /apply-template}, {@code /infill}, {@code /completion}, {@code /metrics}) of the
 *       backend serving {@code model} (the body's, or {@code ?model=}), else of the default backend.</li>
 *   <li>{@code /health}, {@code /metrics}, {@code /running}, {@code /unload}: the proxy's own; Lemonade's control
 *       API under {@code /api/v1} and {@code /api/v0} ({@link LemonadeRoutes}).</li>
 * </ul>
 */
public final class ProxyRoutes {

    static final List<String> PREFIXES = List.of("/v1", "/api/v1", "/api/v0");
    /** Request headers passed on to a backend; hop-by-hop and the client's credentials are not. */
    private static final List<HeaderName> FORWARDED_HEADERS = List.of(HeaderNames.CONTENT_TYPE, HeaderNames.ACCEPT,
            HeaderNames.create("OpenAI-Beta"), HeaderNames.create("anthropic-version"), HeaderNames.create("X-Request-Id"));

    private final Backends view;
    private final Supplier<List<LiveBackend>> backends;
    private final Supplier<Registry> registry;
    private final ProxyServer.Settings settings;
    private final Observer observer;
    private final OnDemandModels models;
    private final Forwarder forwarder;
    private final LemonadeRoutes lemonade;
    private final StackView status;

    ProxyRoutes(Backends backends, Supplier<Registry> registry, ProxyServer.Settings settings,
                Observer observer, OnDemandModels models, Forwarder forwarder, StackView status, LemonadeRoutes lemonade) {
        this.status = status;
        this.view = backends;
        this.backends = backends::snapshot;
        this.registry = registry;
        this.settings = settings;
        this.observer = observer;
        this.models = models;
        this.forwarder = forwarder;
        this.lemonade = lemonade;
    }

    public void register(HttpRouting.Builder rules) {
        rules.addFilter(new ConnectionCloseFilter());
        rules.addFilter(new AccessFilter(settings.apiKey(), settings.corsOrigins()));
        rules.addFilter(new CrossSiteGuard(settings.corsOrigins()));
        new PageRoutes(observer.feed(), !settings.apiKey().isEmpty(), status, registry).register(rules);
        read(rules, "/health", req -> json(200, health()));
        // The stack as `1bit status --json` reports it (schema in docs/status.md): the page's stack table.
        read(rules, "/api/v1/status", req -> status.status(registry).map(r -> json(200, OpenAiError.JSON.valueToTree(r.document())))
                .orElseGet(() -> json(404, OpenAiError.JSON.valueToTree(java.util.Map.of("error", java.util.Map.of("message",
                        "this proxy was started without 1bit's CLI, so it has no status of the stack",
                        "type", "not_found_error", "code", "status_unavailable"))))));
        read(rules, "/metrics", req -> new Reply(200, "text/plain; version=0.0.4; charset=utf-8",
                observer.prometheus().getBytes(StandardCharsets.UTF_8)));
        for (String prefix : List.of("", "/v1", "/api/v1", "/api/v0")) {
            read(rules, prefix + "/running", req -> json(200, running()));
        }
        for (String prefix : List.of("", "/v1")) {
            rules.post(prefix + "/unload", this::unload);
        }
        // Lemonade's control API where Lemonade clients (GAIA) look for it; its unload takes model_name.
        lemonade.register(rules, "/api/v1");
        lemonade.register(rules, "/api/v0");
        for (String prefix : PREFIXES) {
            read(rules, prefix + "/models", req -> json(200, listModels()));
            read(rules, prefix + "/models/*", req -> getModel(req.path().rawPath().substring(prefix.length() + 8)));
            rules.any(prefix + "/*", (req, res) -> forward(req, res, prefix, false));
        }
        rules.any("/llama/*", (req, res) -> forward(req, res, "/llama", true));
    }

    /** A whole answer of a read-only route. */
    private record Reply(int status, String contentType, byte[] body) {
    }

    private static Reply json(int status, JsonNode doc) {
        try {
            return new Reply(status, "application/json", OpenAiError.JSON.writeValueAsBytes(doc));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** GET, and HEAD answered like it without the body (Helidon would send the body to a HEAD request too). */
    private static void read(HttpRouting.Builder rules, String path, Function<ServerRequest, Reply> route) {
        rules.route(Method.predicate(Method.GET, Method.HEAD), PathMatchers.create(path), (req, res) -> {
            Reply reply = route.apply(req);
            res.status(reply.status());
            res.header(HeaderNames.CONTENT_TYPE, reply.contentType());
            if (req.prologue().method() == Method.HEAD) {
                res.header(HeaderNames.CONTENT_LENGTH, Integer.toString(reply.body().length));
                res.send();
            } else {
                res.send(reply.body());
            }
        });
    }

    private void forward(ServerRequest req, ServerResponse res, String prefix, boolean serverPath) {
        Exchange exchange = new Exchange(req.prologue().method().text(), req.path().rawPath(), System.nanoTime());
        try {
            RequestBody body;
            try {
                body = RequestBody.read(req, settings.maxBodyBytes());
            } catch (RequestBody.Refused e) {
                exchange.status = e.error().status();
                e.error().send(res);
                return;
            }
            // Looked up by name rather than walking every header: a walk makes Helidon parse each value.
            List<Map.Entry<String, String>> headers = new ArrayList<>(4);
            for (HeaderName name : FORWARDED_HEADERS) {
                if (req.headers().contains(name)) {
                    headers.add(Map.entry(name.defaultCase(), req.headers().get(name).get()));
                }
            }
            String rest = req.path().rawPath().substring(prefix.length());
            try (ClientSink sink = new ClientSink(res, exchange, body.stream())) {
                forwarder.forward(new Forwarder.Call(req.prologue().method().text(), rest, req.query().rawValue(),
                        serverPath, headers, body), sink);
            }
        } finally {
            observer.request(exchange.method, exchange.path, exchange.model, exchange.backend, exchange.status,
                    exchange.firstByte, System.nanoTime() - exchange.start, exchange.bytes);
        }
    }

    private ObjectNode health() {
        ObjectNode doc = OpenAiError.JSON.createObjectNode();
        doc.put("status", "ok");
        ArrayNode list = doc.putArray("backends");
        for (LiveBackend b : Router.ordered(backends.get())) {
            ObjectNode node = list.addObject();
            node.put("name", b.name());
            node.put("url", b.url().toString());
            node.put("healthy", b.healthy());
            if (!b.healthy()) {
                node.put("error", view.why(b.name()));
            }
            if (b.slots() > 0) {
                node.put("slots", b.slots());
            }
            b.models().forEach(node.withArray("models")::add);
        }
        return doc;
    }

    /** An OpenAI model entry, with Lemonade's {@code downloaded} and {@code recipe} (GAIA reads them). */
    private static ObjectNode modelEntry(String id, String owner, BackendKind kind) {
        ObjectNode m = OpenAiError.JSON.createObjectNode();
        m.put("id", id);
        m.put("object", "model");
        m.put("created", 0);
        m.put("owned_by", owner);
        m.put("downloaded", true);
        m.put("recipe", LemonadeRoutes.recipe(kind));
        return m;
    }

    /** GET /running: the models loaded on demand, the budget, and what they hold of it. */
    private JsonNode running() {
        return OpenAiError.JSON.valueToTree(RunningReport.of(models).document());
    }

    /** POST /unload: every model, or the one named by {"model": ...} (or ?model=); answers with those unloaded. */
    private void unload(ServerRequest req, ServerResponse res) {
        Optional<String> model = req.query().first("model").asOptional();
        try {
            if (model.isEmpty()) {
                model = RequestBody.read(req, 1 << 16).model();
            }
            List<String> unloaded = models.unload(model);
            ObjectNode doc = OpenAiError.JSON.createObjectNode();
            doc.put("status", "ok");
            unloaded.forEach(doc.putArray("unloaded")::add);
            OpenAiError.sendJson(res, 200, doc);
        } catch (OrchestratorException e) {
            OpenAiError.invalid(404, e.getMessage(), "model_not_found").send(res);
        } catch (RequestBody.Refused e) {
            OpenAiError.invalid(400, "the body must be a JSON object such as {\"model\": \"NAME\"}: " + e.getMessage(),
                    "invalid_json").send(res);
        }
    }

    private ObjectNode listModels() {
        List<LiveBackend> live = backends.get();
        ObjectNode doc = OpenAiError.JSON.createObjectNode();
        doc.put("object", "list");
        ArrayNode data = doc.putArray("data");
        Set<String> seen = new LinkedHashSet<>();
        for (LiveBackend b : Router.ordered(live)) {
            if (b.healthy()) {
                for (String id : b.models()) {
                    if (seen.add(id)) {
                        data.add(modelEntry(id, b.name(), b.kind()));
                    }
                }
            }
        }
        // Registered models are listed whether loaded or not: asking for one loads it.
        for (String alias : models.aliases()) {
            if (seen.add(alias)) {
                data.add(modelEntry(alias, "1bit-on-demand", BackendKind.TOOLBOX));
            }
        }
        // Aliases whose model is served, listed under the backend that serves it.
        new TreeMap<>(registry.get().aliases()).forEach((alias, model) -> {
            if (!seen.contains(alias) && Router.route(Optional.of(model), live, Map.of(), "")
                    instanceof Router.Decision.Forward f) {
                seen.add(alias);
                data.add(modelEntry(alias, f.backend().name(), f.backend().kind()));
            }
        });
        return doc;
    }

    /** GET /v1/models/ID, where ID may hold '/' and ':' (Hugging Face names, Ollama tags), raw or percent-encoded. */
    private Reply getModel(String rawId) {
        String id = URLDecoder.decode(rawId.replace("+", "%2B"), StandardCharsets.UTF_8);
        List<LiveBackend> live = backends.get();
        for (LiveBackend b : Router.ordered(live)) {
            if (b.healthy() && b.models().contains(id)) {
                return json(200, modelEntry(id, b.name(), b.kind()));
            }
        }
        if (models.aliases().contains(id)) {
            return json(200, modelEntry(id, "1bit-on-demand", BackendKind.TOOLBOX));
        }
        return json(404, OpenAiError.invalid(404, "model '" + id + "' is not served here; available: "
                + String.join(", ", Router.available(live)), "model_not_found").json());
    }
}
