package systems.onebit.orchestrator.stack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.toolbox.CreateRequest;
import systems.onebit.orchestrator.toolbox.ProbeReport;
import systems.onebit.orchestrator.toolbox.Toolbox;
import systems.onebit.orchestrator.toolbox.ToolboxService;

/**
 * {@code up} and {@code down}: reconciles the registry's toolbox backends with their containers (in parallel), then
 * the proxy. Every component gets its own report; a backend that this run started and that never became healthy is
 * stopped again, so nothing is left half-started without saying so.
 */
public final class StackService {

    private final Registry registry;
    private final Supplier<ToolboxService> toolboxes;
    private final Lane proxy;
    private final List<Lane> lanes;
    private final Map<String, String> keys;

    /**
     * @param lanes the enabled lanes besides the toolboxes and the proxy (NPU, Open WebUI, GAIA)
     * @param keys  where backends' keys are found (the environment over the credentials file)
     */
    public StackService(Registry registry, Supplier<ToolboxService> toolboxes, Lane proxy, List<Lane> lanes,
                        Map<String, String> keys) {
        this.registry = registry;
        this.toolboxes = toolboxes;
        this.proxy = proxy;
        this.lanes = List.copyOf(lanes);
        this.keys = Map.copyOf(keys);
    }

    /** The toolbox backends a run acts on: the named ones, else every enabled one. */
    List<Backend> targets(List<String> names) {
        if (names.isEmpty()) {
            return registry.backends().stream().filter(b -> b.kind() == BackendKind.TOOLBOX && b.enabled()).toList();
        }
        List<Backend> out = new ArrayList<>();
        for (String name : names) {
            Backend backend = registry.require(name);
            if (backend.kind() != BackendKind.TOOLBOX) {
                throw OrchestratorException.invalid("backend '" + name + "' is a " + backend.kind().id()
                        + " backend: 1bit does not start it", "start it with its own tools; `1bit up` starts toolbox backends");
            }
            out.add(backend);
        }
        return out;
    }

    public List<StackReport> up(List<String> names, boolean withProxy, Duration timeout, Consumer<String> progress) {
        List<Backend> targets = targets(names);
        List<StackReport> reports = new ArrayList<>(forEach(targets, progress, (service, existing) -> backend ->
                ensureUp(service, existing, backend, timeout, progress)));
        if (names.isEmpty()) {
            reports.addAll(missingKeys());
            reports.addAll(eachLane(lanes, lane -> {
                progress.accept(lane.name() + ": starting (" + lane.describe() + ")");
                return lane.up(timeout);
            }));
        }
        if (withProxy) {
            progress.accept("proxy: starting (" + proxy.describe() + ")");
            reports.add(proxy.up(timeout));
        }
        return reports;
    }

    /** Runs {@code action} on every lane at once; one report each, in the lanes' order. */
    private static List<StackReport> eachLane(List<Lane> lanes, Function<Lane, StackReport> action) {
        try (ExecutorService pool = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().factory())) {
            List<Future<StackReport>> futures = lanes.stream().map(l -> pool.submit(() -> action.apply(l))).toList();
            List<StackReport> reports = new ArrayList<>();
            for (int i = 0; i < futures.size(); i++) {
                reports.add(outcome(lanes.get(i).name(), futures.get(i)));
            }
            return reports;
        }
    }

    /** Enabled backends whose key is nowhere to be found: the proxy would send them nothing. */
    private List<StackReport> missingKeys() {
        return registry.backends().stream()
                .filter(b -> b.enabled() && !b.apiKeyEnv().isEmpty() && keys.getOrDefault(b.apiKeyEnv(), "").isBlank())
                .<StackReport>map(b -> new StackReport.Failed(b.name(), OrchestratorException.precondition(
                        "backend '" + b.name() + "' needs its API key in $" + b.apiKeyEnv() + ", set neither here nor "
                                + "in the credentials file: the proxy sends it nothing",
                        "store it with `1bit backends key " + b.name() + "` (or export " + b.apiKeyEnv() + ")")))
                .toList();
    }

    public List<StackReport> down(List<String> names, boolean withProxy, Duration timeout, Consumer<String> progress) {
        List<Backend> targets = targets(names);
        List<StackReport> reports = new ArrayList<>();
        // Reverse order of up: the proxy first, so no request reaches a backend that is going away.
        if (withProxy) {
            progress.accept("proxy: stopping (" + proxy.describe() + ")");
            reports.add(proxy.down(timeout));
            if (!registry.models().isEmpty() && names.isEmpty()) {
                reports.add(leftOnDemand(progress));
            }
        }
        if (names.isEmpty()) {
            reports.addAll(eachLane(lanes.reversed(), lane -> {
                progress.accept(lane.name() + ": stopping (" + lane.describe() + ")");
                return lane.down(timeout);
            }));
        }
        reports.addAll(forEach(targets.reversed(), progress, (service, existing) -> backend -> {
            Toolbox toolbox = existing.get(backend.name());
            if (toolbox == null) {
                return new StackReport.Unchanged(backend.name(), "no container");
            }
            if (!toolbox.running()) {
                return new StackReport.Unchanged(backend.name(), "already " + toolbox.state().id());
            }
            progress.accept(backend.name() + ": stopping");
            return new StackReport.Changed(backend.name(), service.stop(backend.name(), Duration.ofSeconds(20)));
        }));
        return reports;
    }

    /**
     * A proxy that stops cleanly unloads its on-demand models; one that was killed leaves their containers running,
     * and no proxy is left to manage them: they are removed here.
     */
    private StackReport leftOnDemand(Consumer<String> progress) {
        String component = "on-demand models";
        try {
            ToolboxService service = toolboxes.get();
            List<String> left = service.list().stream().map(Toolbox::name)
                    .filter(n -> n.startsWith(systems.onebit.orchestrator.ondemand.ToolboxModelRunner.PREFIX)).toList();
            if (left.isEmpty()) {
                return new StackReport.Unchanged(component, "none left running");
            }
            progress.accept(component + ": removing " + left + " (left by a proxy that did not stop cleanly)");
            List<String> failed = new ArrayList<>();
            for (String name : left) {
                try {
                    service.remove(name, true);
                } catch (OrchestratorException e) {
                    failed.add(name + ": " + e.oneLine());  // the others are still removed
                }
            }
            return failed.isEmpty() ? new StackReport.Changed(component, "removed " + String.join(", ", left))
                    : new StackReport.Failed(component, OrchestratorException.precondition("could not remove: "
                    + String.join("; ", failed), "remove them with `podman rm -f`"));
        } catch (OrchestratorException e) {
            // No engine: then no container of ours can be running either.
            return new StackReport.Unchanged(component, "not checked: " + e.getMessage());
        }
    }

    private interface PerBackend {
        Function<Backend, StackReport> with(ToolboxService service, Map<String, Toolbox> existing);
    }

    /** Runs {@code action} for every backend at once; an engine that cannot be reached fails each backend by name. */
    private List<StackReport> forEach(List<Backend> targets, Consumer<String> progress, PerBackend action) {
        if (targets.isEmpty()) {
            return List.of();
        }
        ToolboxService service;
        Map<String, Toolbox> existing;
        try {
            service = toolboxes.get();
            existing = service.list().stream().collect(Collectors.toMap(Toolbox::name, t -> t));
        } catch (OrchestratorException e) {
            return targets.stream().<StackReport>map(b -> new StackReport.Failed(b.name(), e)).toList();
        }
        Function<Backend, StackReport> each = action.with(service, existing);
        try (ExecutorService pool = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().factory())) {
            List<Future<StackReport>> futures = targets.stream().map(b -> pool.submit(() -> {
                try {
                    return each.apply(b);
                } catch (OrchestratorException e) {
                    return new StackReport.Failed(b.name(), e);
                }
            })).toList();
            List<StackReport> reports = new ArrayList<>();
            for (int i = 0; i < futures.size(); i++) {
                reports.add(outcome(targets.get(i).name(), futures.get(i)));
            }
            return reports;  // each one's outcome line is printed once, by the caller
        }
    }

    private static StackReport outcome(String name, Future<StackReport> future) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            return new StackReport.Failed(name, new OrchestratorException(OrchestratorException.Reason.ENGINE_ERROR,
                    "unexpected failure: " + e.getCause(), "run again with ONEBIT_LOG=debug", e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new StackReport.Failed(name, new OrchestratorException(OrchestratorException.Reason.TIMEOUT,
                    "interrupted", "run again"));
        }
    }

    private StackReport ensureUp(ToolboxService service, Map<String, Toolbox> existing, Backend backend, Duration timeout,
                                 Consumer<String> progress) {
        String name = backend.name();
        if (backend.models().isEmpty()) {
            throw OrchestratorException.precondition("backend '" + name + "' has no model file",
                    "register one: `1bit backends rm " + name + "`, then `1bit backends add " + name
                            + " --kind toolbox --flavor " + backend.flavor() + " --model PATH --url " + backend.url() + "`");
        }
        Path model = Path.of(backend.models().getFirst()).toAbsolutePath().normalize();
        List<String> did = new ArrayList<>();
        Toolbox toolbox = existing.get(name);
        if (toolbox != null) {
            String differs = differs(toolbox, backend, model);
            if (!differs.isEmpty()) {
                progress.accept(name + ": recreating (" + differs + " changed in the registry)");
                if (toolbox.running()) {
                    service.stop(name, Duration.ofSeconds(20));
                }
                service.remove(name, true);
                toolbox = null;
                did.add("removed the old container (" + differs + " changed)");
            }
        }
        if (toolbox == null) {
            progress.accept(name + ": creating (" + backend.flavor() + ", " + model.getFileName() + ")");
            service.create(new CreateRequest(name, backend.flavor(), model, backend.port(), backend.args(), true),
                    line -> progress.accept(name + ": " + line));
            did.add("created");
        }
        boolean startedNow = false;
        if (toolbox == null || !toolbox.running()) {
            progress.accept(name + ": starting");
            service.start(name);
            startedNow = true;
            did.add("started");
        }
        ProbeReport probe;
        try {
            probe = service.probe(name, timeout, line -> progress.accept(name + ": " + line));
        } catch (OrchestratorException e) {
            if (startedNow) {
                service.stop(name, Duration.ofSeconds(10));
                throw new OrchestratorException(e.reason(), e.getMessage() + "; stopped it again", e.hint(), e);
            }
            throw e;
        }
        String detail = "healthy on " + probe.url() + " in " + probe.healthyAfter().toMillis() + " ms, models " + probe.models();
        return did.isEmpty() ? new StackReport.Unchanged(name, "running, " + detail)
                : new StackReport.Changed(name, String.join(", ", did) + "; " + detail);
    }

    private static String differs(Toolbox toolbox, Backend backend, Path model) {
        List<String> changed = new ArrayList<>();
        if (!toolbox.flavor().equals(backend.flavor())) {
            changed.add("flavor");
        }
        if (toolbox.port() != backend.port()) {
            changed.add("port");
        }
        if (!toolbox.model().equals(model.toString())) {
            changed.add("model");
        }
        return String.join(", ", changed);
    }

    /** One plain line per report, as the CLI prints it when stdout is not a terminal. */
    public static String line(StackReport report) {
        return switch (report) {
            case StackReport.Changed c -> c.component() + ": " + c.detail();
            case StackReport.Unchanged u -> u.component() + ": unchanged, " + u.detail();
            case StackReport.Failed f -> f.component() + ": FAILED: " + f.error().oneLine();
        };
    }
}
