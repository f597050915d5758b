package systems.onebit.cli;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.apps.LocalApp;
import systems.onebit.orchestrator.apps.LocalApps;
import systems.onebit.orchestrator.engine.EngineLocator;
import systems.onebit.orchestrator.probe.HttpProbe;
import systems.onebit.orchestrator.probe.KindProbe;
import systems.onebit.orchestrator.probe.ModelLister;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.json.Trees;
import systems.onebit.orchestrator.lanes.GaiaLane;
import systems.onebit.orchestrator.lanes.WebuiManifest;
import systems.onebit.orchestrator.ondemand.ToolboxModelRunner;
import systems.onebit.orchestrator.toolbox.Toolbox;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"One table of the whole stack: the proxy, every registered backend and toolbox container, "
                + "FastFlowLM, Open WebUI and GAIA, probed concurrently with short timeouts.",
                "Exit code 0: every counted component healthy; 10: some unhealthy (degraded); 11: none healthy (down). "
                        + "Counted: the proxy, enabled backends, and Open WebUI when installed. JSON schema: docs/status.md."})
public final class StatusCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print JSON (schema in docs/status.md).")
    boolean json;

    static final int DEFAULT_TIMEOUT_MS = 700;

    @Option(names = "--timeout", defaultValue = "" + DEFAULT_TIMEOUT_MS, paramLabel = "MS", description = "Probe timeout (default ${DEFAULT-VALUE} ms).")
    int timeoutMs;

    @Option(names = "--watch", arity = "0..1", fallbackValue = "2", paramLabel = "SECONDS",
            description = "Refresh every SECONDS (default 2) until interrupted.")
    Integer watchSeconds;

    @Option(names = "--count", paramLabel = "N", description = "With --watch: stop after N refreshes.")
    int count;

    private final CliContext context;

    public StatusCommand(CliContext context) {
        this.context = context;
    }

    /** One row: {@code models} is -1 where a component serves no models, {@code counts} whether it decides the exit code. */
    record Row(String name, String kind, String endpoint, String state, String health, int models, long ms, boolean counts) {
        boolean healthy() {
            return health.equals("healthy");
        }
    }

    /**
     * Starts collecting the status on a background thread before picocli has even built the command model (which
     * keeps the main thread busy for 50-90 ms at start-up, the second core idle): only when the arguments ask for
     * the default probes ({@code status} or {@code status --json}), so the command, once parsed, takes exactly the
     * rows it would have collected itself, a few milliseconds earlier. Changes nothing; errors surface in {@link #call}.
     */
    static void collectAhead(CliContext context, String... args) {
        if (args.length > 0 && args[0].equals("status") && Arrays.stream(args).skip(1).allMatch(a -> a.equals("--json"))) {
            context.ahead(StatusCommand.class, () -> new StatusCommand(context).collect(context.registry()::read,
                    Duration.ofMillis(DEFAULT_TIMEOUT_MS)));
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        Duration timeout = Duration.ofMillis(timeoutMs);
        if (watchSeconds == null) {
            List<Row> rows = context.<List<Row>>takeAhead(StatusCommand.class)
                    .orElseGet(() -> collect(context.registry()::read, timeout));
            return render(rows, false);
        }
        int code = 0;
        for (int round = 1; count == 0 || round <= count; round++) {
            code = render(collect(context.registry()::read, timeout), true);
            if (count != 0 && round == count) {
                break;
            }
            Thread.sleep(Duration.ofSeconds(Math.max(1, watchSeconds)));
        }
        return code;
    }

    private List<Row> collect(Supplier<Registry> registryRead, Duration timeout) {
        // Platform threads, not virtual ones: the JDK's virtual-thread unblocker sits in native code, and a thread in
        // native code makes the JVM wait 300 ms before it exits. Podman is asked first, before the registry is even
        // read: its answer is the slowest part (the JDK's first unix socket seeds a SecureRandom), and it depends on
        // nothing else.
        try (ExecutorService pool = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().factory())) {
            Future<Optional<Map<String, Toolbox>>> containers = pool.submit(() -> toolboxes(timeout));
            Future<LocalApps> apps = pool.submit(() -> new LocalApps(context.env(), context.host()));
            Registry registry = registryRead.get();
            URI proxy = registry.proxyUrl();
            List<Future<Row>> rows = new ArrayList<>();
            // The proxy's own key (ONEBIT_API_KEY), which it requires of every client when set.
            String proxyKey = context.env().getOrDefault("ONEBIT_API_KEY", "");
            String proxyAuth = proxyKey.isBlank() ? "" : "Bearer " + proxyKey;
            rows.add(pool.submit(() -> served("proxy", "proxy", proxy, "/v1/models", "", true, timeout, proxyAuth)));
            Future<HttpProbe.Result> loaded = registry.models().isEmpty() ? null
                    : pool.submit(() -> HttpProbe.get(proxy, "/running", timeout, proxyAuth));
            boolean flmRegistered = false;
            Map<String, String> keys = registry.backends().stream().anyMatch(b -> !b.apiKeyEnv().isEmpty())
                    ? context.keyEnvironment() : Map.of();
            for (Backend b : registry.byPriority()) {
                flmRegistered |= b.kind() == BackendKind.FLM;
                String key = b.apiKeyEnv().isEmpty() ? "" : keys.getOrDefault(b.apiKeyEnv(), "");
                if (!b.apiKeyEnv().isEmpty() && key.isBlank()) {
                    // Nothing is sent to a backend without the key it wants; the row says which variable to set.
                    rows.add(pool.submit(() -> new Row(b.name(), b.kind().id(), b.url().toString(),
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
            Future<Row> webui = pool.submit(() -> {
                if (registry.apps().webui()) {
                    // A lane `up` starts: counted, probed where 1bit runs it.
                    URI url = registry.apps().webuiMode().equals("container")
                            ? URI.create("http://127.0.0.1:" + WebuiManifest.load(context.configDir().resolve("apps")).port())
                            : URI.create("http://127.0.0.1:" + Registry.OPEN_WEBUI_PORT);
                    HttpProbe.Result r = HttpProbe.get(url, "/health", timeout);
                    return new Row("open-webui", "webui", url.toString(), "enabled (" + registry.apps().webuiMode() + ")",
                            r.health(), -1, r.took().toMillis(), true);
                }
                LocalApp app = apps.get().openWebUi(proxy);
                HttpProbe.Result r = HttpProbe.get(URI.create(app.url()), "/health", timeout);
                String state = !app.installed() ? "not installed" : app.running() ? "running (pid " + app.pid() + ")" : "installed";
                return new Row("open-webui", "webui", app.url(), state, r.health(), -1, r.took().toMillis(), app.installed());
            });
            Future<Row> gaia = pool.submit(() -> {
                if (registry.apps().gaia() && context.lanes().gaia(registry) instanceof GaiaLane lane) {
                    HttpProbe.Result r = HttpProbe.get(lane.url(), "/api/health", timeout);
                    return new Row("gaia", "gaia", lane.url().toString(), "enabled (Agent UI)", r.health(), -1,
                            r.took().toMillis(), true);
                }
                LocalApp app = apps.get().gaia(proxy);
                String state = !app.installed() ? "not installed" : app.running() ? "running (pid " + app.pid() + ")" : "installed";
                HttpProbe.Result r = HttpProbe.get(app.baseUrl(), "/api/v1/models", timeout);
                // GAIA is a desktop app: its row says whether what it should use answers, and never counts.
                return new Row("gaia", "gaia", app.baseUrl().toString(), state, r.ok() ? "base URL healthy" : "base URL " + r.health(),
                        -1, r.took().toMillis(), false);
            });
            List<Row> out = new ArrayList<>();
            for (Future<Row> row : rows) {
                out.add(row.get());
            }
            Optional<Map<String, Toolbox>> toolboxes = containers.get();
            List<Row> withState = new ArrayList<>();
            for (Row row : out) {
                if (row.kind().equals("toolbox")) {
                    String state = toolboxes.map(m -> m.containsKey(row.name()) ? m.remove(row.name()).state().id() : "absent")
                            .orElse("unknown (no Podman socket)");
                    withState.add(new Row(row.name(), row.kind(), row.endpoint(), state, row.health(), row.models(), row.ms(), row.counts()));
                } else {
                    withState.add(row);
                }
            }
            if (loaded != null) {
                withState.addAll(onDemand(registry, loaded.get()));
            }
            // Toolbox containers that are not in the registry (made with `toolbox create`): shown, not counted.
            for (Toolbox t : toolboxes.map(Map::values).orElse(List.of())) {
                if (t.name().startsWith(ToolboxModelRunner.PREFIX)) {
                    continue;  // the proxy's on-demand models: their rows come from the proxy
                }
                Row probed = served(t.name(), "toolbox", t.url(), t.modelsPath(), t.healthPath(), false, timeout, "");
                withState.add(new Row(t.name(), "toolbox", t.url().toString(), t.state().id() + " (not registered)",
                        probed.health(), probed.models(), probed.ms(), false));
            }
            withState.add(webui.get());
            withState.add(gaia.get());
            return withState;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OrchestratorException(OrchestratorException.Reason.TIMEOUT, "interrupted", "");
        }
    }

    /**
     * One row per registered model, from the proxy's {@code GET /running}: loaded (where, how much memory, how long
     * idle) or not. Shown, never counted: an unloaded model is not a fault.
     */
    private static List<Row> onDemand(Registry registry, HttpProbe.Result running) {
        Map<String, com.fasterxml.jackson.databind.JsonNode> byAlias = new LinkedHashMap<>();
        if (running.ok()) {
            try {
                Trees.read(Trees.JSON, running.body()).path("running").forEach(m -> byAlias.put(m.path("model").asText(), m));
            } catch (java.io.IOException e) {
                // an unreadable answer shows every model as unknown below
            }
        }
        List<Row> rows = new ArrayList<>();
        for (var entry : registry.models()) {
            var m = byAlias.get(entry.alias());
            String pinned = entry.pinned() ? ", pinned" : "";
            if (m == null) {
                rows.add(new Row(entry.alias(), "model", "-", (running.ok() ? "not loaded" : "unknown (proxy down)") + pinned,
                        running.ok() ? "on demand" : running.health(), -1, running.took().toMillis(), false));
            } else {
                String state = m.path("state").asText() + ", " + String.format("%.2f GiB", m.path("memoryBytes").asLong() / (double) (1L << 30))
                        + ", idle " + Math.round(m.path("idleSeconds").asDouble()) + " s, " + m.path("inFlight").asInt() + " in flight"
                        + (m.path("restarts").asInt() > 0 ? ", " + m.path("restarts").asInt() + " restarts" : "") + pinned;
                rows.add(new Row(entry.alias(), "model", m.path("url").asText("-"), state,
                        m.path("state").asText().equals("ready") ? "healthy" : m.path("state").asText(), 1,
                        running.took().toMillis(), false));
            }
        }
        return rows;
    }

    /**
     * Only a Podman socket that already answers, read directly (no docker-java): status must stay fast and
     * read-only, and never starts a Podman service.
     */
    private Optional<Map<String, Toolbox>> toolboxes(Duration timeout) {
        return Toolbox.snapshot(context.locator().endpoints(), EngineLocator.findPodman(context.env()), timeout).map(list -> {
            Map<String, Toolbox> map = new LinkedHashMap<>();
            list.forEach(t -> map.put(t.name(), t));
            return map;
        });
    }

    /**
     * A registered backend probed as the proxy probes it ({@link KindProbe}: its kind's paths, JSON required, a
     * toolbox port answered by Lemonade or FastFlowLM named).
     */
    private static Row registered(Backend b, String authorization, Duration timeout) {
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
        return new Row(b.name(), b.kind().id(), b.url().toString(), b.enabled() ? "enabled" : "disabled", health, models,
                (System.nanoTime() - start) / 1_000_000, b.enabled());
    }

    /** Probes a model server: its health path (if any), then, when that answers, its model list. */
    private static Row served(String name, String kind, URI url, String modelsPath, String healthPath, boolean counts,
                              Duration timeout, String authorization) {
        HttpProbe.Result health = HttpProbe.get(url, healthPath.isEmpty() ? modelsPath : healthPath, timeout, authorization);
        HttpProbe.Result models = healthPath.isEmpty() || !health.ok() ? health
                : HttpProbe.get(url, modelsPath, timeout, authorization);
        int count = models.ok() ? ModelLister.ids(models.body()).map(List::size).orElse(-1) : -1;
        String state = kind.equals("proxy") ? (health.ok() ? "running" : "stopped") : counts ? "enabled" : "disabled";
        String shown = health.ok() && !models.ok() ? "models " + models.health() : health.health();
        long ms = health.took().toMillis() + (models == health ? 0 : models.took().toMillis());
        return new Row(name, kind, url.toString(), state, shown, count, ms, counts);
    }

    private int render(List<Row> rows, boolean watching) {
        long counted = rows.stream().filter(Row::counts).count();
        long healthy = rows.stream().filter(Row::counts).filter(Row::healthy).count();
        ExitCode code = healthy == counted ? ExitCode.OK : healthy == 0 ? ExitCode.DOWN : ExitCode.DEGRADED;
        String state = code == ExitCode.OK ? "healthy" : code == ExitCode.DOWN ? "down" : "degraded";
        Output out = new Output(context.out(), context.env());
        if (json) {
            List<Map<String, Object>> components = new ArrayList<>();
            for (Row r : rows) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("name", r.name());
                row.put("kind", r.kind());
                row.put("endpoint", r.endpoint());
                row.put("state", r.state());
                row.put("health", r.health());
                row.put("models", r.models() < 0 ? null : r.models());
                row.put("ms", r.ms());
                row.put("counts", r.counts());
                components.add(row);
            }
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("state", state);
            doc.put("components", components);
            out.json(doc);
        } else {
            if (watching && out.tty()) {
                context.out().print("\033[H\033[2J");
            }
            if (watching) {
                out.line("1bit status at " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS));
            }
            List<List<String>> table = new ArrayList<>();
            table.add(List.of("COMPONENT", "KIND", "ENDPOINT", "STATE", "HEALTH", "MODELS", "MS"));
            for (Row r : rows) {
                String colour = r.healthy() ? "green" : r.counts() ? "red" : "faint";
                table.add(List.of(r.name(), r.kind(), r.endpoint(), r.state(), out.style(colour, r.health()),
                        r.models() < 0 ? "-" : Integer.toString(r.models()), Long.toString(r.ms())));
            }
            out.table(table);
            out.line("overall: " + state);
        }
        context.out().flush();
        return code.code();
    }
}
