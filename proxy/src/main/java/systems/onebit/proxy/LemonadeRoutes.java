package systems.onebit.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.host.HostPaths;
import systems.onebit.orchestrator.ondemand.LoadedModel;
import systems.onebit.orchestrator.ondemand.OnDemandModels;
import systems.onebit.orchestrator.pull.PullJobs;
import systems.onebit.orchestrator.registry.BackendKind;

/**
 * Lemonade's control API (its {@code docs/api/lemonade.md}) served by the proxy itself under {@code /api/v1} and
 * {@code /api/v0}, so GAIA and other Lemonade clients pointed at {@code http://127.0.0.1:13306/api/v1} work: health with
 * every loaded model and its context, load (with a larger {@code ctx_size}, an on-demand model is started again with
 * it), unload of one model, pull, stats, system-info and params. Never forwarded to a backend.
 */
final class LemonadeRoutes {

    private static final String VERSION = Optional.ofNullable(LemonadeRoutes.class.getPackage().getImplementationVersion())
            .orElse("0.1.0");

    private final Supplier<List<LiveBackend>> backends;
    private final OnDemandModels models;
    private final Observer observer;
    private final UpstreamClient upstream;
    private final HostPaths host;
    private final PullJobs pulls;
    private volatile JsonNode params = OpenAiError.JSON.createObjectNode();

    LemonadeRoutes(Supplier<List<LiveBackend>> backends, OnDemandModels models, Observer observer, UpstreamClient upstream,
                   HostPaths host, PullJobs pulls) {
        this.pulls = pulls;
        this.backends = backends;
        this.models = models;
        this.observer = observer;
        this.upstream = upstream;
        this.host = host;
    }

    void register(HttpRouting.Builder rules, String prefix) {
        rules.get(prefix + "/health", (req, res) -> OpenAiError.sendJson(res, 200, health()));
        rules.post(prefix + "/load", this::load);
        rules.post(prefix + "/unload", this::unload);
        new LemonadePulls(pulls, this::known).register(rules, prefix);
        rules.get(prefix + "/stats", (req, res) -> OpenAiError.sendJson(res, 200, stats()));
        rules.get(prefix + "/system-info", (req, res) -> OpenAiError.sendJson(res, 200, SystemInfo.read(host)));
        rules.get(prefix + "/params", (req, res) -> OpenAiError.sendJson(res, 200, params));
        rules.post(prefix + "/params", this::setParams);
    }

    /** Lemonade's recipe for what serves a model. */
    static String recipe(BackendKind kind) {
        return switch (kind) {
            case FLM -> "flm";
            case LEMONADE -> "lemonade";
            case TOOLBOX, OPENAI, PEER -> "llamacpp";
        };
    }

    private ObjectNode health() {
        ObjectNode doc = OpenAiError.JSON.createObjectNode();
        doc.put("status", "ok");
        doc.put("version", VERSION);
        ArrayNode loaded = OpenAiError.JSON.createArrayNode();
        for (LiveBackend b : Router.ordered(backends.get())) {
            if (b.healthy()) {
                for (String id : b.models()) {
                    loaded.add(entry(id, b.kind(), b.url().toString(), b.context(), false));
                }
            }
        }
        for (LoadedModel m : models.running()) {
            if (m.state().equals("ready")) {
                loaded.add(entry(m.alias(), BackendKind.TOOLBOX, m.url(), context(m.url()), m.pinned()));
            }
        }
        String last = observer.stats().model();
        if (last.isEmpty() && !loaded.isEmpty()) {
            last = loaded.get(0).path("model_name").asText();
        }
        if (last.isEmpty()) {
            doc.putNull("model_loaded");
        } else {
            doc.put("model_loaded", last);
        }
        doc.set("all_models_loaded", loaded);
        return doc;
    }

    private static ObjectNode entry(String id, BackendKind kind, String url, int context, boolean pinned) {
        ObjectNode m = OpenAiError.JSON.createObjectNode();
        m.put("model_name", id);
        m.put("id", id);
        m.put("checkpoint", id);
        m.put("loaded", true);
        m.put("type", "llm");
        m.put("device", kind == BackendKind.FLM ? "npu" : "gpu");
        m.put("recipe", recipe(kind));
        m.put("pinned", pinned);
        m.put("backend_url", url);
        ObjectNode options = m.putObject("recipe_options");
        if (context > 0) {
            options.put("ctx_size", context);
        }
        return m;
    }

    /** A loaded llama-server's per-slot context, from its /props; 0 when it does not say. */
    private int context(String url) {
        if (url.isEmpty()) {
            return 0;
        }
        LiveBackend at = new LiveBackend("on-demand", java.net.URI.create(url), 0, List.of(), true);
        try (UpstreamResponse r = upstream.send(UpstreamClient.Request.get(at.root("/props", "")), Duration.ofSeconds(2));
             InputStream in = r.body()) {
            byte[] body = in.readAllBytes();
            return r.status() == 200 ? OpenAiError.JSON.readTree(body).path("default_generation_settings").path("n_ctx").asInt(0) : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Every model a client can ask for: served by a live backend, or registered to load on demand. */
    List<String> known() {
        List<String> ids = new ArrayList<>(Router.available(backends.get()));
        models.aliases().stream().filter(a -> !ids.contains(a)).forEach(ids::add);
        return ids;
    }

    /** The body's {@code model_name} (Lemonade), else {@code model} (OpenAI style). */
    static Optional<String> modelName(JsonNode body) {
        JsonNode name = body.hasNonNull("model_name") ? body.get("model_name") : body.get("model");
        return name != null && name.isTextual() && !name.asText().isBlank() ? Optional.of(name.asText()) : Optional.empty();
    }

    static JsonNode body(ServerRequest req) throws RequestBody.Refused {
        RequestBody body = RequestBody.read(req, 1 << 20);
        try {
            JsonNode doc = body.bytes().length == 0 ? OpenAiError.JSON.createObjectNode() : OpenAiError.JSON.readTree(body.bytes());
            if (doc == null || !doc.isObject()) {
                throw new RequestBody.Refused(OpenAiError.invalid(400, "the body must be a JSON object such as "
                        + "{\"model_name\": \"NAME\"}", "invalid_json"));
            }
            return doc;
        } catch (IOException e) {
            throw new RequestBody.Refused(OpenAiError.invalid(400, "the body is not valid JSON: " + e.getMessage(), "invalid_json"));
        }
    }

    static void success(ServerResponse res, String message) {
        ObjectNode doc = OpenAiError.JSON.createObjectNode();
        doc.put("status", "success");
        doc.put("message", message);
        OpenAiError.sendJson(res, 200, doc);
    }

    private void unknown(ServerResponse res, String model) {
        OpenAiError.invalid(404, "model '" + model + "' is not served here; available: " + String.join(", ", known()),
                "model_not_found").send(res);
    }

    /** POST load {model_name, ctx_size?}: an on-demand model is started (again, with a larger context if asked). */
    private void load(ServerRequest req, ServerResponse res) {
        try {
            JsonNode body = body(req);
            Optional<String> model = modelName(body);
            if (model.isEmpty()) {
                OpenAiError.invalid(400, "load needs {\"model_name\": \"NAME\"}; available: " + String.join(", ", known()),
                        "missing_model").send(res);
                return;
            }
            String name = model.get();
            long asked = body.path("ctx_size").asLong(0);
            Optional<LiveBackend> fixed = Router.ordered(backends.get()).stream()
                    .filter(b -> b.healthy() && b.models().contains(name)).findFirst();
            if (fixed.isPresent()) {
                success(res, "Loaded model: " + name + " (served by backend '" + fixed.get().name() + "'"
                        + (fixed.get().context() > 0 ? " with a context of " + fixed.get().context() : "") + ")");
                return;
            }
            if (!models.aliases().contains(name)) {
                unknown(res, name);
                return;
            }
            Optional<LoadedModel> running = models.running().stream().filter(m -> m.alias().equals(name)
                    && m.state().equals("ready")).findFirst();
            int current = running.map(m -> context(m.url())).orElse(0);
            if (asked > 0 && (running.isEmpty() || current < asked)) {
                models.reload(name, asked);  // GAIA asks for 32768 and loads again while health reports less
            } else {
                models.load(name);
            }
            success(res, "Loaded model: " + name);
        } catch (RequestBody.Refused e) {
            e.error().send(res);
        } catch (OrchestratorException e) {
            new OpenAiError(e.reason() == OrchestratorException.Reason.NOT_FOUND ? 404 : 503, e.oneLine(), "server_error",
                    "model_load_failed").send(res);
        }
    }

    /** POST unload {model_name?}: only that model, or every on-demand model when none is named. */
    private void unload(ServerRequest req, ServerResponse res) {
        try {
            Optional<String> model = modelName(body(req));
            if (model.isPresent() && !models.aliases().contains(model.get())) {
                Optional<LiveBackend> fixed = Router.ordered(backends.get()).stream()
                        .filter(b -> b.models().contains(model.get())).findFirst();
                if (fixed.isPresent()) {
                    success(res, "Model " + model.get() + " is served by backend '" + fixed.get().name()
                            + "', which stays up (stop it with `1bit toolbox stop " + fixed.get().name() + "`)");
                } else {
                    unknown(res, model.get());
                }
                return;
            }
            List<String> unloaded = models.unload(model);
            ObjectNode doc = OpenAiError.JSON.createObjectNode();
            doc.put("status", "success");
            doc.put("message", unloaded.isEmpty() ? "Nothing to unload" : "Unloaded model: " + String.join(", ", unloaded));
            unloaded.forEach(doc.putArray("unloaded")::add);
            OpenAiError.sendJson(res, 200, doc);
        } catch (RequestBody.Refused e) {
            e.error().send(res);
        }
    }

    private ObjectNode stats() {
        Observer.Stats s = observer.stats();
        ObjectNode doc = OpenAiError.JSON.createObjectNode();
        doc.put("time_to_first_token", s.firstByteSeconds());
        doc.put("tokens_per_second", s.tokensPerSecond());
        doc.put("input_tokens", s.inputTokens());
        doc.put("output_tokens", s.outputTokens());
        doc.put("prompt_tokens", s.inputTokens());
        doc.put("request_count_total", s.requests());
        doc.put("input_tokens_total", s.inputTotal());
        doc.put("output_tokens_total", s.outputTotal());
        doc.put("prompt_tokens_total", s.inputTotal());
        return doc;
    }

    /** POST params: kept and reported back; the proxy does not rewrite requests with them. */
    private void setParams(ServerRequest req, ServerResponse res) {
        try {
            JsonNode body = body(req);
            params = body;
            ObjectNode doc = OpenAiError.JSON.createObjectNode();
            doc.put("status", "success");
            doc.set("params", body);
            OpenAiError.sendJson(res, 200, doc);
        } catch (RequestBody.Refused e) {
            e.error().send(res);
        }
    }
}
