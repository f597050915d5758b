package systems.onebit.orchestrator.status;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.apps.LocalApp;
import systems.onebit.orchestrator.apps.LocalApps;
import systems.onebit.orchestrator.lanes.GaiaLane;
import systems.onebit.orchestrator.lanes.WebuiManifest;
import systems.onebit.orchestrator.ondemand.RunningReport;
import systems.onebit.orchestrator.ondemand.ToolboxModelRunner;
import systems.onebit.orchestrator.probe.HttpProbe;
import systems.onebit.orchestrator.probe.KindProbe;
import systems.onebit.orchestrator.probe.ModelLister;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.stack.Lane;
import systems.onebit.orchestrator.status.StatusReport.Component;
import systems.onebit.orchestrator.toolbox.Labels;
import systems.onebit.orchestrator.toolbox.Toolbox;

/**
 * What the stack's state is: the proxy, every registered backend (probed as the proxy probes it), toolbox containers
 * (state from the engine), on-demand models (from the proxy's {@code /running}), FastFlowLM, Open WebUI and GAIA, all
 * probed concurrently with short timeouts. The CLI renders the report; nothing here prints.
 */
public final class StatusService {

    /**
     * Where the facts come from.
     *
     * @param env        ONEBIT_API_KEY (the proxy's own key) is read here
     * @param configDir  1bit's configuration directory (the Open WebUI manifest)
     * @param keys       the backends' key variables, from the environment and the credentials file
     * @param containers the toolbox containers
     * @param apps       what is installed of Open WebUI and GAIA
     * @param gaia       the GAIA lane 1bit runs for a registry
     */
    public record Sources(Map<String, String> env, Path configDir, Supplier<Map<String, String>> keys,
                          ContainerListing containers, Supplier<LocalApps> apps, Function<Registry, Lane> gaia) {
    }

    private final Sources sources;

    public StatusService(Sources sources) {
        this.sources = sources;
    }

    public StatusReport collect(Supplier<Registry> registryRead, Duration timeout) {
        // Platform threads, not virtual ones: the JDK's virtual-thread unblocker sits in native code, and a thread in
        // native code makes the JVM wait 300 ms before it exits. The engine is asked first, before the registry is
        // even read: its answer is the slowest part, and it depends on nothing else.
        try (ExecutorService pool = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().factory())) {
            Future<Optional<Map<String, Toolbox>>> containers = pool.submit(() -> toolboxes(timeout));
            Future<LocalApps> apps = pool.submit(sources.apps()::get);
            Registry registry = registryRead.get();
            URI proxy = registry.proxyUrl();
            List<Future<Component>> rows = new ArrayList<>();
            // The proxy's own key (ONEBIT_API_KEY), which it requires of every client when set.
            String proxyKey = sources.env().getOrDefault("ONEBIT_API_KEY", "");
            String proxyAuth = proxyKey.isBlank() ? "" : "Bearer " + proxyKey;
            rows.add(pool.submit(() -> served("proxy", "proxy", proxy, "/v1/models", "", true, timeout, proxyAuth)));
            Future<HttpProbe.Result> loaded = registry.models().isEmpty() ? null
                    : pool.submit(() -> HttpProbe.get(proxy, "/running", timeout, proxyAuth));
            boolean flmRegistered = false;
            Map<String, String> keys = registry.backends().stream().anyMatch(b -> !b.apiKeyEnv().isEmpty())
                    ? sources.keys().get() : Map.of();
            for (Backend b : registry.byPriority()) {
                flmRegistered |= b.kind() == BackendKind.FLM;
                String key = b.apiKeyEnv().isEmpty() ? "" : keys.getOrDefault(b.apiKeyEnv(), "");
                if (!b.apiKeyEnv().isEmpty() && key.isBlank()) {
                    // Nothing is sent to a backend without the key it wants; the row says which variable to set.
                    rows.add(pool.submit(() -> new Component(b.name(), b.kind().id(), b.url().toString(),
                            b.enabled() ? "enabled" : "disabled", "API key: $" + b.apiKeyEnv() + " is not set", -1, 0,
                            b.enabled())));
                    continue;
                }
                rows.add(pool.submit(() -> registered(b, key.isEmpty() ? "" : "Bearer " + key, timeout)));
            }
            if (!flmRegistered) {
                URI flm = URI.create("http://127.0.0.1:" + Registry.FLM_PORT);
                rows.add(pool.submit(() -> served("fastflowlm", "flm", flm, "/v1/models", "", false, timeout, "")));
            }
            Future<Component> webui = pool.submit(() -> webui(registry, apps, proxy, timeout));
            Future<Component> gaia = pool.submit(() -> gaia(registry, apps, proxy, timeout));
            Optional<Map<String, Toolbox>> toolboxes = containers.get();
            List<Component> out = new ArrayList<>();
            for (Future<Component> row : rows) {
                Component c = row.get();
                String name = c.name();
                out.add(!c.kind().equals("toolbox") ? c : c.withState(toolboxes
                        .map(m -> m.containsKey(name) ? m.remove(name).state().id() : "absent")
                        .orElse("unknown (no Podman socket)")));
            }
            if (loaded != null) {
                out.addAll(onDemand(registry, loaded.get()));
            }
            // Toolbox containers that are not in the registry (made with `toolbox create`): shown, not counted.
            for (Toolbox t : toolboxes.map(Map::values).orElse(List.of())) {
                if (t.name().startsWith(ToolboxModelRunner.PREFIX)) {
                    continue;  // the proxy's on-demand models: their rows come from the proxy
                }
                Component probed = served(t.name(), "toolbox", t.url(), t.modelsPath(), t.healthPath(), false, timeout, "");
                out.add(new Component(t.name(), "toolbox", t.url().toString(), t.state().id() + " (not registered)",
                        probed.health(), probed.models(), probed.ms(), false));
            }
            out.add(webui.get());
            out.add(gaia.get());
            return new StatusReport(out);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OrchestratorException(OrchestratorException.Reason.TIMEOUT, "interrupted", "");
        }
    }

    private Component webui(Registry registry, Future<LocalApps> apps, URI proxy, Duration timeout) throws Exception {
        if (registry.apps().webui()) {
            // A lane `up` starts: counted, probed where 1bit runs it.
            URI url = registry.apps().webuiMode().equals("container")
                    ? URI.create("http://127.0.0.1:" + WebuiManifest.load(sources.configDir().resolve("apps")).port())
                    : URI.create("http://127.0.0.1:" + Registry.OPEN_WEBUI_PORT);
            HttpProbe.Result r = HttpProbe.get(url, "/health", timeout);
            return new Component("open-webui", "webui", url.toString(), "enabled (" + registry.apps().webuiMode() + ")",
                    r.health(), -1, r.took().toMillis(), true);
        }
        LocalApp app = apps.get().openWebUi(proxy);
        HttpProbe.Result r = HttpProbe.get(URI.create(app.url()), "/health", timeout);
        return new Component("open-webui", "webui", app.url(), installedState(app), r.health(), -1, r.took().toMillis(),
                app.installed());
    }

    private Component gaia(Registry registry, Future<LocalApps> apps, URI proxy, Duration timeout) throws Exception {
        if (registry.apps().gaia() && sources.gaia().apply(registry) instanceof GaiaLane lane) {
            HttpProbe.Result r = HttpProbe.get(lane.url(), "/api/health", timeout);
            return new Component("gaia", "gaia", lane.url().toString(), "enabled (Agent UI)", r.health(), -1,
                    r.took().toMillis(), true);
        }
        LocalApp app = apps.get().gaia(proxy);
        HttpProbe.Result r = HttpProbe.get(app.baseUrl(), "/api/v1/models", timeout);
        // GAIA is a desktop app: its row says whether what it should use answers, and never counts.
        return new Component("gaia", "gaia", app.baseUrl().toString(), installedState(app),
                r.ok() ? "base URL healthy" : "base URL " + r.health(), -1, r.took().toMillis(), false);
    }

    private static String installedState(LocalApp app) {
        return !app.installed() ? "not installed" : app.running() ? "running (pid " + app.pid() + ")" : "installed";
    }

    /**
     * One row per registered model, from the proxy's {@code GET /running}: loaded (where, how much memory, how long
     * idle) or not. Shown, never counted: an unloaded model is not a fault.
     */
    private static List<Component> onDemand(Registry registry, HttpProbe.Result running) {
        Map<String, RunningReport.Entry> byAlias = new LinkedHashMap<>();
        if (running.ok()) {
            try {
                RunningReport.parse(running.body()).running().forEach(m -> byAlias.put(m.model(), m));
            } catch (IOException e) {
                // an unreadable answer shows every model as not loaded below
            }
        }
        List<Component> rows = new ArrayList<>();
        for (var entry : registry.models()) {
            RunningReport.Entry m = byAlias.get(entry.alias());
            String pinned = entry.pinned() ? ", pinned" : "";
            if (m == null) {
                rows.add(new Component(entry.alias(), "model", "-", (running.ok() ? "not loaded" : "unknown (proxy down)") + pinned,
                        running.ok() ? "on demand" : running.health(), -1, running.took().toMillis(), false));
            } else {
                String state = m.state() + ", " + String.format("%.2f GiB", m.memoryBytes() / (double) (1L << 30))
                        + ", idle " + Math.round(m.idleSeconds()) + " s, " + m.inFlight() + " in flight"
                        + (m.restarts() > 0 ? ", " + m.restarts() + " restarts" : "") + pinned;
                rows.add(new Component(entry.alias(), "model", m.url().isEmpty() ? "-" : m.url(), state,
                        m.state().equals("ready") ? "healthy" : m.state(), 1, running.took().toMillis(), false));
            }
        }
        return rows;
    }

    private Optional<Map<String, Toolbox>> toolboxes(Duration timeout) {
        return sources.containers().list(Map.of(Labels.BACKEND, ""), timeout).map(list -> {
            Map<String, Toolbox> map = new LinkedHashMap<>();
            list.stream().map(Toolbox::from).sorted(java.util.Comparator.comparing(Toolbox::name)).forEach(t -> map.put(t.name(), t));
            return map;
        });
    }

    /**
     * A registered backend probed as the proxy probes it ({@link KindProbe}: its kind's paths, JSON required, a
     * toolbox port answered by Lemonade or FastFlowLM named).
     */
    private static Component registered(Backend b, String authorization, Duration timeout) {
        long start = System.nanoTime();
        KindProbe probe = KindProbe.probing(timeout, authorization);
        String health;
        int models = -1;
        try {
            switch (probe.probe(b, b.kind() == BackendKind.TOOLBOX)) {
                case KindProbe.Up up -> {
                    health = "healthy";
                    models = up.models().size();
                }
                case KindProbe.Loading loading -> health = "loading";
                case KindProbe.Down down -> health = down.why();
            }
        } catch (IOException e) {
            health = e.getMessage();
        }
        return new Component(b.name(), b.kind().id(), b.url().toString(), b.enabled() ? "enabled" : "disabled", health, models,
                (System.nanoTime() - start) / 1_000_000, b.enabled());
    }

    /** Probes a model server: its health path (if any), then, when that answers, its model list. */
    private static Component served(String name, String kind, URI url, String modelsPath, String healthPath, boolean counts,
                                    Duration timeout, String authorization) {
        HttpProbe.Result health = HttpProbe.get(url, healthPath.isEmpty() ? modelsPath : healthPath, timeout, authorization);
        HttpProbe.Result models = healthPath.isEmpty() || !health.ok() ? health
                : HttpProbe.get(url, modelsPath, timeout, authorization);
        int count = models.ok() ? ModelLister.ids(models.body()).map(List::size).orElse(-1) : -1;
        String state = kind.equals("proxy") ? (health.ok() ? "running" : "stopped") : counts ? "enabled" : "disabled";
        String shown = health.ok() && !models.ok() ? "models " + models.health() : health.health();
        long ms = health.took().toMillis() + (models == health ? 0 : models.took().toMillis());
        return new Component(name, kind, url.toString(), state, shown, count, ms, counts);
    }
}
