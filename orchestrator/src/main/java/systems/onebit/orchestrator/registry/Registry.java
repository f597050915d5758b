package systems.onebit.orchestrator.registry;

import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import systems.onebit.orchestrator.OrchestratorException;

/**
 * The backend registry: proxy endpoint, default backend, and the backends in registry order.
 *
 * @param defaultBackend the backend for requests that name no model; empty for none
 * @param aliases        other names for models (alias to model id), resolved by the proxy before routing
 * @param models         registered GGUF models (`1bit models add`), by alias
 * @param apps           which of Open WebUI and GAIA `up` starts, and how
 */
public record Registry(String proxyHost, int proxyPort, String defaultBackend, List<Backend> backends,
                       Map<String, String> aliases, List<ModelEntry> models, Apps apps) {

    /**
     * The app lanes: Open WebUI ({@code container}: the Podman image, or {@code pip}: an installed {@code open-webui})
     * and GAIA's Agent UI on {@code gaiaPort} (the next free port when that one is taken).
     */
    public record Apps(boolean webui, String webuiMode, boolean gaia, int gaiaPort) {
        public static final Apps NONE = new Apps(false, "container", false, 4200);

        public Apps {
            if (!webuiMode.equals("container") && !webuiMode.equals("pip")) {
                throw OrchestratorException.configInvalid("apps.webui.mode '" + webuiMode + "' is neither container nor pip",
                        "use container (the Open WebUI image) or pip (an installed open-webui)");
            }
        }

        public Apps withWebui(boolean enabled, String mode) {
            return new Apps(enabled, mode, gaia, gaiaPort);
        }

        public Apps withGaia(boolean enabled, int port) {
            return new Apps(webui, webuiMode, enabled, port);
        }
    }

    public static final int PROXY_PORT = 13306;
    public static final int BACKEND_PORT = 13305;
    public static final int FLM_PORT = 52625;
    public static final int OPEN_WEBUI_PORT = 3000;

    public Registry {
        backends = List.copyOf(backends);
        aliases = Map.copyOf(aliases);
        models = List.copyOf(models);
        if (models.stream().map(ModelEntry::alias).distinct().count() != models.size()) {
            throw OrchestratorException.configInvalid("the registry names a model twice", "remove the duplicate entry");
        }
        if (backends.stream().map(Backend::name).distinct().count() != backends.size()) {
            throw OrchestratorException.configInvalid("the registry names a backend twice", "remove the duplicate entry");
        }
    }

    public Registry(String proxyHost, int proxyPort, String defaultBackend, List<Backend> backends) {
        this(proxyHost, proxyPort, defaultBackend, backends, Map.of(), List.of());
    }

    public Registry(String proxyHost, int proxyPort, String defaultBackend, List<Backend> backends,
                    Map<String, String> aliases, List<ModelEntry> models) {
        this(proxyHost, proxyPort, defaultBackend, backends, aliases, models, Apps.NONE);
    }

    public Registry withApps(Apps value) {
        return new Registry(proxyHost, proxyPort, defaultBackend, backends, aliases, models, value);
    }

    public Registry(String proxyHost, int proxyPort, String defaultBackend, List<Backend> backends,
                    Map<String, String> aliases) {
        this(proxyHost, proxyPort, defaultBackend, backends, aliases, List.of());
    }

    public Optional<ModelEntry> model(String alias) {
        return models.stream().filter(m -> m.alias().equals(alias)).findFirst();
    }

    public Registry withModel(ModelEntry model) {
        if (model(model.alias()).isPresent()) {
            throw OrchestratorException.conflict("a model with the alias '" + model.alias() + "' is already registered",
                    "choose another with --alias, or remove it first with `1bit models rm " + model.alias() + "`");
        }
        List<ModelEntry> next = new ArrayList<>(models);
        next.add(model);
        return new Registry(proxyHost, proxyPort, defaultBackend, backends, aliases, next, apps);
    }

    public Registry withoutModel(String alias) {
        model(alias).orElseThrow(() -> OrchestratorException.notFound("no model with the alias '" + alias + "'",
                "see `1bit models list`"));
        return new Registry(proxyHost, proxyPort, defaultBackend, backends, aliases,
                models.stream().filter(m -> !m.alias().equals(alias)).toList(), apps);
    }

    /** The embedded defaults, used while no registry file exists. */
    public static Registry defaults() {
        return new Registry("127.0.0.1", PROXY_PORT, "llama", List.of(
                new Backend("llama", BackendKind.TOOLBOX, URI.create("http://127.0.0.1:" + BACKEND_PORT),
                        "vulkan-radv", List.of(), List.of(), Backend.DEFAULT_PRIORITY, true),
                new Backend("flm", BackendKind.FLM, URI.create("http://127.0.0.1:" + FLM_PORT),
                        "", List.of(), List.of(), 200, false)));
    }

    /** Where a client reaches the proxy: its host (loopback when it listens on every address) and port. */
    public URI proxyUrl() {
        return localUrl(proxyHost, proxyPort);
    }

    /** {@code http://host:port} as a client on this machine reaches it ({@code 0.0.0.0} is reached on loopback). */
    public static URI localUrl(String host, int port) {
        String h = host.equals("0.0.0.0") ? "127.0.0.1" : host;
        return URI.create("http://" + (h.contains(":") ? "[" + h + "]" : h) + ":" + port);
    }

    public Optional<Backend> find(String name) {
        return backends.stream().filter(b -> b.name().equals(name)).findFirst();
    }

    /** Backends by priority, then name: the order in which a model's owner is chosen. */
    public List<Backend> byPriority() {
        return backends.stream()
                .sorted(Comparator.comparingInt(Backend::priority).thenComparing(Backend::name))
                .toList();
    }

    public Registry with(Backend backend) {
        if (find(backend.name()).isPresent()) {
            throw OrchestratorException.conflict("a backend named '" + backend.name() + "' is already registered",
                    "choose another name, or remove it first with `1bit backends rm " + backend.name() + "`");
        }
        List<Backend> next = new ArrayList<>(backends);
        next.add(backend);
        return new Registry(proxyHost, proxyPort, defaultBackend, next, aliases, models, apps);
    }

    public Registry without(String name) {
        require(name);
        List<Backend> next = backends.stream().filter(b -> !b.name().equals(name)).toList();
        return new Registry(proxyHost, proxyPort, defaultBackend.equals(name) ? "" : defaultBackend, next, aliases, models, apps);
    }

    public Registry replaced(Backend backend) {
        require(backend.name());
        List<Backend> next = backends.stream().map(b -> b.name().equals(backend.name()) ? backend : b).toList();
        return new Registry(proxyHost, proxyPort, defaultBackend, next, aliases, models, apps);
    }

    public Backend require(String name) {
        return find(name).orElseThrow(() -> OrchestratorException.notFound("no backend named '" + name + "'",
                "see `1bit backends list` for the registered names"));
    }
}
