package systems.onebit.orchestrator.ondemand;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.gguf.GgufReader;
import systems.onebit.orchestrator.probe.HttpProbe;
import systems.onebit.orchestrator.probe.HttpWaitStrategy;
import systems.onebit.orchestrator.registry.ModelEntry;
import systems.onebit.orchestrator.toolbox.CreateRequest;
import systems.onebit.orchestrator.toolbox.Labels;
import systems.onebit.orchestrator.toolbox.Toolbox;
import systems.onebit.orchestrator.toolbox.ToolboxService;

/**
 * Runs each on-demand model as a toolbox container (the entry's flavor, llama-server on a free loopback port),
 * labelled {@link Labels#ON_DEMAND} so a later proxy can take it over or clean it up. Health is polled every 20 ms:
 * the poll interval is added to every cold start.
 */
public final class ToolboxModelRunner implements ModelRunner {

    /** Every on-demand container's name starts with this. */
    public static final String PREFIX = "1bit-model-";
    private static final Duration POLL = Duration.ofMillis(20);

    private final Supplier<ToolboxService> toolboxes;

    /** @param toolboxes opened on first use: a proxy with no cold model to start never needs the container engine */
    public ToolboxModelRunner(Supplier<ToolboxService> toolboxes) {
        this.toolboxes = memoized(toolboxes);
    }

    /** The container for a model alias: aliases may hold ':' and '/', container names may not. */
    public static String containerName(String alias) {
        String safe = alias.replaceAll("[^A-Za-z0-9_.-]", "-");
        if (!safe.equals(alias)) {
            // Two aliases that differ only in replaced characters must not share a container.
            safe += "-" + HexFormat.of().toHexDigits(alias.hashCode());
        }
        return PREFIX + safe;
    }

    @Override
    public RunningModel start(ModelEntry model, Duration timeout) {
        long begin = System.nanoTime();
        ToolboxService service = toolboxes.get();
        String name = containerName(model.alias());
        removeLeftover(service, name);
        long context = ModelMemory.contextPerSlot(model, GgufReader.read(model.path()));
        List<String> args = new ArrayList<>(List.of("-c", Long.toString(context * model.parallel()), "-np",
                Integer.toString(model.parallel()), "--alias", model.alias()));
        if (!model.rpc().isEmpty()) {
            args.addAll(List.of("--rpc", String.join(",", model.rpc())));  // create checks that each worker answers
        }
        service.create(new CreateRequest(name, model.flavor(), model.path(), freePort(), args, true,
                Map.of(Labels.ON_DEMAND, model.alias())));
        try {
            Toolbox toolbox = service.get(name);
            service.start(name);
            Duration left = timeout.minusNanos(System.nanoTime() - begin);
            new HttpWaitStrategy(toolbox.healthPath(), POLL, () -> exited(service, name), "`podman logs " + name + "`")
                    .waitUntilReady(toolbox.url(), left.isNegative() ? Duration.ZERO : left);
            return new RunningModel(model.alias(), name, toolbox.url(), Duration.ofNanos(System.nanoTime() - begin));
        } catch (OrchestratorException e) {
            String log = tail(service, name);
            removeQuietly(service, name);
            throw new OrchestratorException(e.reason(), "model '" + model.alias() + "' did not start: " + e.getMessage()
                    + (log.isEmpty() ? "" : " (its last log lines: " + log + ")"), e.hint(), e);
        }
    }

    /** Removed with force (SIGKILL): llama-server holds nothing worth a graceful stop, and a swap waits on this. */
    @Override
    public void stop(RunningModel model) {
        removeQuietly(toolboxes.get(), model.container());
    }

    @Override
    public boolean alive(RunningModel model, Duration timeout) {
        try {
            if (!toolboxes.get().get(model.container()).running()) {
                return false;
            }
        } catch (OrchestratorException e) {
            return e.reason() != OrchestratorException.Reason.NOT_FOUND;  // an unreachable engine says nothing of the model
        }
        return HttpProbe.get(model.url(), "/health", timeout).ok();
    }

    @Override
    public List<RunningModel> adopt(List<ModelEntry> registered) {
        ToolboxService service = toolboxes.get();
        List<RunningModel> adopted = new ArrayList<>();
        for (Toolbox toolbox : service.list()) {
            if (!toolbox.name().startsWith(PREFIX)) {
                continue;
            }
            Optional<ModelEntry> entry = registered.stream()
                    .filter(m -> containerName(m.alias()).equals(toolbox.name())
                            && m.path().toString().equals(toolbox.model()) && m.flavor().equals(toolbox.flavor()))
                    .findFirst();
            if (entry.isPresent() && toolbox.running() && HttpProbe.get(toolbox.url(), toolbox.healthPath(), Duration.ofSeconds(2)).ok()) {
                adopted.add(new RunningModel(entry.get().alias(), toolbox.name(), toolbox.url(), Duration.ZERO));
            } else {
                removeQuietly(service, toolbox.name());  // forced: a stop first would only wait
            }
        }
        return adopted;
    }

    private static Optional<String> exited(ToolboxService service, String name) {
        try {
            Toolbox toolbox = service.get(name);
            return toolbox.running() ? Optional.empty() : Optional.of("its container exited (" + toolbox.status() + ")");
        } catch (OrchestratorException e) {
            return Optional.of("its container is gone: " + e.getMessage());
        }
    }

    private static void removeLeftover(ToolboxService service, String name) {
        if (service.list().stream().anyMatch(t -> t.name().equals(name))) {
            removeQuietly(service, name);
        }
    }

    private static void removeQuietly(ToolboxService service, String name) {
        try {
            service.remove(name, true);
        } catch (OrchestratorException e) {
            // a container left behind keeps its label: the next adopt() removes it
        }
    }

    private static String tail(ToolboxService service, String name) {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try {
            service.logs(name, false, log, log);
        } catch (OrchestratorException e) {
            return "";
        }
        List<String> lines = log.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new OrchestratorException(OrchestratorException.Reason.IO, "no free port on 127.0.0.1: " + e.getMessage(),
                    "free some ports");
        }
    }

    private static <T> Supplier<T> memoized(Supplier<T> supplier) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = supplier.get();
                }
                return value;
            }
        };
    }
}
