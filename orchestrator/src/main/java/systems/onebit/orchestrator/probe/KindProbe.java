package systems.onebit.orchestrator.probe;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import systems.onebit.orchestrator.json.Trees;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;

/**
 * One backend probed on its kind's own paths, the same way for the proxy's monitor, {@code 1bit status} and the port
 * checks of {@code toolbox create}/{@code up}: llama-server's {@code /health} (503: loading its model), Lemonade's
 * {@code /api/v1/health} and {@code /api/v1/models}, FastFlowLM's {@code /api/tags} (it has no health path) and
 * {@code /v1/models} filtered to the registry's models; every answer must be JSON. A toolbox port answered by Lemonade
 * or FastFlowLM is named, and its models are not taken for the toolbox's.
 */
public final class KindProbe {

    /** One GET of {@code target}; throws when there was no HTTP answer at all (refused, reset, timed out). */
    public interface Http {
        Answer get(URI target) throws IOException;
    }

    public record Answer(int status, byte[] body) {
    }

    /**
     * llama-server's slot count and per-slot context; zeros from a backend that does not say.
     *
     * @param llamaServer whether {@code /props} answered as llama-server does
     */
    public record Props(int slots, int context, boolean llamaServer) {
        public static final Props NONE = new Props(0, 0, false);
    }

    /** What a probe saw. */
    public sealed interface Outcome permits Up, Loading, Down {
    }

    /** @param props read only when asked for (once per time the backend comes up) */
    public record Up(List<String> models, Optional<Props> props) implements Outcome {
        public Up {
            models = List.copyOf(models);
        }
    }

    /** A toolbox llama-server still loading its model: not a failure, not ready. */
    public record Loading(String why) implements Outcome {
    }

    public record Down(String why) implements Outcome {
    }

    private final Http http;

    public KindProbe(Http http) {
        this.http = http;
    }

    /** Over {@link HttpProbe}: one short-lived connection per GET, each within {@code timeout}. */
    public static KindProbe probing(Duration timeout, String authorization) {
        return new KindProbe(target -> {
            HttpProbe.Result r = HttpProbe.get(target, timeout, authorization);
            if (r.status() == 0) {
                throw new IOException(r.error());
            }
            return new Answer(r.status(), r.body().getBytes(StandardCharsets.UTF_8));
        });
    }

    /** The kind's readiness path, empty for a plain OpenAI-compatible server (its model list is the probe). */
    public static String readyPath(BackendKind kind) {
        return switch (kind) {
            case TOOLBOX -> "/health";
            case LEMONADE -> "/api/v1/health";
            case FLM -> "/api/tags";
            case OPENAI, PEER -> "";
        };
    }

    /** Probes {@code b}; {@code readProps} also asks llama-server's {@code /props}. Network failures propagate. */
    public Outcome probe(Backend b, boolean readProps) throws IOException {
        String ready = readyPath(b.kind());
        if (!ready.isEmpty()) {
            Answer r = http.get(serverPath(b, ready));
            if (r.status() == 503 && b.kind() == BackendKind.TOOLBOX) {
                return new Loading("loading its model (/health answers 503)");
            }
            if (r.status() != 200 || !json(r.body())) {
                Optional<String> other = b.kind() == BackendKind.TOOLBOX ? impostor(b.url()) : Optional.empty();
                return new Down(other.isPresent() ? misplaced(b, other.get())
                        : ready + " answered " + r.status() + (json(r.body()) ? "" : ", not JSON"));
            }
        }
        URI list = b.kind() == BackendKind.LEMONADE ? serverPath(b, "/api/v1/models") : BaseUrl.api(b.url(), "/models", "");
        Answer r = http.get(list);
        if (r.status() != 200) {
            return new Down("its model list answered " + r.status());
        }
        Optional<List<String>> listed = ModelLister.ids(new String(r.body(), StandardCharsets.UTF_8));
        if (listed.isEmpty()) {
            return new Down("its model list is not an OpenAI-compatible JSON answer");
        }
        List<String> models = listed.get();
        if (b.kind() == BackendKind.FLM && !b.models().isEmpty()) {
            // FastFlowLM lists every model it supports, downloaded or not: only those the registry names.
            models = models.stream().filter(b.models()::contains).toList();
        }
        if (!readProps) {
            return new Up(models, Optional.empty());
        }
        Props props = props(b.url());
        if (b.kind() == BackendKind.TOOLBOX && !props.llamaServer()) {
            Optional<String> other = impostor(b.url());
            if (other.isPresent()) {
                return new Down(misplaced(b, other.get()));
            }
        }
        return new Up(models, Optional.of(props));
    }

    /** A server path; Lemonade's under its URL when that is already its API base ({@code http://host:8000/api/v1}). */
    private static URI serverPath(Backend b, String path) {
        String base = b.url().getRawPath() == null ? "" : b.url().getRawPath().replaceAll("/+$", "");
        if (b.kind() == BackendKind.LEMONADE && base.endsWith("/api/v1") && path.startsWith("/api/v1/")) {
            return b.url().resolve(base + path.substring("/api/v1".length()));
        }
        return BaseUrl.root(b.url(), path, "");
    }

    /**
     * What answers at {@code url}, in a few words: {@code llama-server}, {@code Lemonade}, {@code FastFlowLM}, or
     * empty when it is none of these (or nothing answers).
     */
    public Optional<String> identify(URI url) {
        if (props(url).llamaServer()) {
            return Optional.of("llama-server");
        }
        return impostor(url);
    }

    /** llama-server's {@code /props}; {@link Props#NONE} from a server that has no such path. */
    public Props props(URI url) {
        try {
            Answer r = http.get(BaseUrl.root(url, "/props", ""));
            if (r.status() != 200) {
                return Props.NONE;
            }
            JsonNode props = Trees.read(Trees.JSON, new String(r.body(), StandardCharsets.UTF_8));
            JsonNode settings = props.path("default_generation_settings");
            return new Props(props.path("total_slots").asInt(0), settings.path("n_ctx").asInt(0), settings.isObject());
        } catch (IOException | RuntimeException e) {
            return Props.NONE;
        }
    }

    /** Lemonade moved to 13305, the toolbox default: its models are never adopted as the toolbox backend's. */
    public static String misplaced(Backend b, String other) {
        return "port " + b.port() + " is " + other + ", not the toolbox backend '" + b.name() + "' (llama-server): "
                + "stop " + other + " there, or give the backend another port";
    }

    /** What else answers where a llama-server should: Lemonade (its /api/v1/health) or FastFlowLM (/api/tags). */
    private Optional<String> impostor(URI url) {
        for (String[] probe : new String[][] {{"/api/v1/health", "Lemonade"}, {"/api/tags", "FastFlowLM"}}) {
            try {
                Answer r = http.get(BaseUrl.root(url, probe[0], ""));
                if (r.status() == 200 && json(r.body())) {
                    return Optional.of(probe[1]);
                }
            } catch (IOException | RuntimeException e) {
                // not that one
            }
        }
        return Optional.empty();
    }

    private static boolean json(byte[] body) {
        try {
            JsonNode doc = Trees.read(Trees.JSON, new String(body, StandardCharsets.UTF_8));
            return doc.isObject() || doc.isArray();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
