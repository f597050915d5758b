package systems.onebit.orchestrator.toolbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.engine.ContainerEngine;
import systems.onebit.orchestrator.engine.ContainerInfo;
import systems.onebit.orchestrator.engine.ContainerSpec;
import systems.onebit.orchestrator.engine.ContainerSpec.DeviceMapping;
import systems.onebit.orchestrator.engine.ContainerSpec.Ulimit;
import systems.onebit.orchestrator.host.HostPaths;
import systems.onebit.orchestrator.host.ProcessLimits;
import systems.onebit.orchestrator.manifest.ManifestCatalog;
import systems.onebit.orchestrator.manifest.ToolboxManifest;
import systems.onebit.orchestrator.probe.HttpWaitStrategy;
import systems.onebit.orchestrator.probe.ModelLister;

/**
 * Creates, starts, stops, inspects and removes toolbox backend containers. Only containers carrying the
 * {@link Labels#BACKEND} label are ever touched; everything is read back from the engine, never from a local file.
 */
public final class ToolboxService {

    private static final byte[] GGUF_MAGIC = {'G', 'G', 'U', 'F'};

    private final Supplier<ManifestCatalog> catalog;
    private final ContainerEngine engine;
    private final HostPaths host;
    private final ProcessLimits limits;
    private final PortCheck ports = PortCheck.real();

    /**
     * @param catalog the flavors, loaded only when a command needs them
     * @param host   where device nodes are looked up
     * @param limits this process's limits, the ceiling for container ulimits without CAP_SYS_RESOURCE
     */
    public ToolboxService(Supplier<ManifestCatalog> catalog, ContainerEngine engine, HostPaths host, ProcessLimits limits) {
        this.catalog = catalog;
        this.engine = engine;
        this.host = host;
        this.limits = limits;
    }

    ProcessLimits limits() {
        return limits;
    }

    HostPaths host() {
        return host;
    }

    /** The result of a create: the toolbox and any warnings (for example a capped memlock limit). */
    public record Created(Toolbox toolbox, List<String> warnings) {
        public Created {
            warnings = List.copyOf(warnings);
        }
    }

    public Created create(CreateRequest request) {
        return create(request, line -> { });
    }

    /** Creates the toolbox; {@code progress} receives image pull progress. */
    public Created create(CreateRequest request, java.util.function.Consumer<String> progress) {
        ToolboxManifest manifest = catalog.get().get(request.flavor());
        validateName(request.name());
        List<DeviceMapping> devices = devicesFor(manifest);
        Path model = checkModel(request.model());
        int port = request.port() == 0 ? manifest.defaultPort() : request.port();
        if (port < 1 || port > 65535) {
            throw OrchestratorException.invalid("port " + port + " is not a TCP port", "use 1-65535");
        }
        engine.inspect(request.name()).ifPresent(existing -> {
            throw OrchestratorException.conflict("the name '" + request.name() + "' is already used by "
                            + (existing.labels().containsKey(Labels.BACKEND) ? "a 1bit toolbox" : "a container not made by 1bit"),
                    "choose another name, or remove the toolbox with `1bit toolbox rm " + request.name() + "`");
        });
        for (Toolbox other : list()) {
            if (other.port() == port) {
                throw OrchestratorException.conflict("port " + port + " is already assigned to toolbox '" + other.name() + "'",
                        "choose another with --port, or remove it with `1bit toolbox rm " + other.name() + "`");
            }
        }
        ports.requireFree(manifest.defaultHost(), port);
        RpcWorkers.requireReachable(RpcWorkers.addresses(request.extraArgs()), Duration.ofSeconds(2));
        if (!engine.imageExists(manifest.image())) {
            FlavorBuilds.requireBuilt(manifest);
            if (!request.pull()) {
                throw OrchestratorException.precondition("image " + manifest.image() + " (flavor " + manifest.flavor()
                        + ") is not on this host", "pull it with `podman pull " + manifest.image() + "`, or drop --pull=never");
            }
            engine.pull(manifest.image(), line -> progress.accept("pulling " + manifest.image() + ": " + line));
        }
        List<String> warnings = new ArrayList<>();
        List<Ulimit> ulimits = ContainerLimits.ulimitsFor(manifest, limits, warnings);
        String modelInContainer = manifest.modelMount() + "/" + model.getFileName();
        List<String> command = new ArrayList<>(manifest.commandFor(manifest.defaultHost(), port, modelInContainer));
        command.addAll(request.extraArgs());
        if (command.getFirst().endsWith("llama-server") && !command.contains("--alias") && !command.contains("-a")) {
            // Without it llama-server names the model by its file name in new builds and by its path in old ones.
            String file = model.getFileName().toString();
            command.addAll(List.of("--alias", file.endsWith(".gguf") ? file.substring(0, file.length() - 5) : file));
        }
        Map<String, String> labels = new LinkedHashMap<>(request.labels());
        labels.put(Labels.BACKEND, request.name());
        labels.put(Labels.FLAVOR, manifest.flavor());
        labels.put(Labels.HOST, manifest.defaultHost());
        labels.put(Labels.PORT, Integer.toString(port));
        labels.put(Labels.MODEL, model.toString());
        labels.put(Labels.HEALTH_PATH, manifest.healthPath());
        labels.put(Labels.MODELS_PATH, manifest.modelsPath());
        List<String> workers = RpcWorkers.addresses(request.extraArgs());
        if (!workers.isEmpty()) {
            labels.put(RpcWorkers.HEAD_LABEL, String.join(",", workers));  // checked again at each start
        }
        ContainerSpec spec = new ContainerSpec(request.name(), manifest.image(), command, manifest.environment(), labels,
                devices, ContainerLimits.groupsFor(manifest, devices, limits, host), manifest.securityOpt(), ulimits,
                ModelMounts.mounts(model, manifest.modelMount()), true);
        ContainerInfo created = engine.create(SpecLabel.attach(spec));
        return new Created(Toolbox.from(created), warnings);
    }

    /**
     * An RPC worker: the flavor's image running its RPC server on {@code host:port} with the flavor's devices, groups
     * and limits, host network, no model (the head sends the tensors; the worker caches them locally).
     */
    public Created createRpcWorker(String name, String flavor, String address, int port, boolean pull) {
        ToolboxManifest manifest = catalog.get().get(flavor);
        validateName(name);
        if (port < 1 || port > 65535) {
            throw OrchestratorException.invalid("RPC port " + port + " is not a TCP port", "use 1-65535 (default 50052)");
        }
        List<DeviceMapping> devices = devicesFor(manifest);
        engine.inspect(name).ifPresent(existing -> {
            throw OrchestratorException.conflict("the name '" + name + "' is already used by a container",
                    "choose another name, or remove it with `1bit toolbox rm " + name + "`");
        });
        ports.requireFree(address, port);
        if (!engine.imageExists(manifest.image())) {
            FlavorBuilds.requireBuilt(manifest);
            if (!pull) {
                throw OrchestratorException.precondition("image " + manifest.image() + " is not on this host",
                        "pull it with `podman pull " + manifest.image() + "`");
            }
            engine.pull(manifest.image(), line -> { });
        }
        List<String> warnings = new ArrayList<>();
        if (!address.equals("127.0.0.1") && !address.equals("localhost") && !address.equals("::1")) {
            warnings.add("the RPC worker listens on " + address + ": the RPC protocol has no authentication, so anyone "
                    + "who reaches that address can use this GPU; keep it on a private link");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(Labels.BACKEND, name);
        labels.put(Labels.FLAVOR, manifest.flavor());
        labels.put(Labels.HOST, address);
        labels.put(Labels.PORT, Integer.toString(port));
        labels.put(RpcWorkers.LABEL, "true");
        ContainerSpec spec = new ContainerSpec(name, manifest.image(), RpcWorkers.command(address, port), manifest.environment(),
                labels, devices, ContainerLimits.groupsFor(manifest, devices, limits, host), manifest.securityOpt(),
                ContainerLimits.ulimitsFor(manifest, limits, warnings), List.of(), true);
        return new Created(Toolbox.from(engine.create(SpecLabel.attach(spec))), warnings);
    }

    /** The 1bit toolboxes, by name. */
    public List<Toolbox> list() {
        return engine.list(Map.of(Labels.BACKEND, "")).stream()
                .map(Toolbox::from)
                .sorted(Comparator.comparing(Toolbox::name))
                .toList();
    }

    public Toolbox get(String name) {
        ContainerInfo container = engine.inspect(name).orElseThrow(() -> OrchestratorException.notFound(
                "no toolbox named '" + name + "'", "see `1bit toolbox list`"));
        if (!container.labels().containsKey(Labels.BACKEND)) {
            throw OrchestratorException.notFound("container '" + name + "' was not made by 1bit, so 1bit leaves it alone",
                    "manage it with podman directly");
        }
        return Toolbox.from(container);
    }

    /** Starts the toolbox; says how it went, or throws why it cannot. */
    public String start(String name) {
        Toolbox toolbox = get(name);
        if (toolbox.running()) {
            return "already running on " + toolbox.url();
        }
        ports.requireFree(toolbox.host(), toolbox.port());
        engine.inspect(name).ifPresent(c -> RpcWorkers.requireReachable(RpcWorkers.addresses(
                List.of("--rpc", c.label(RpcWorkers.HEAD_LABEL))), Duration.ofSeconds(2)));
        engine.start(name);
        return "started on " + toolbox.url();
    }

    public String stop(String name, Duration timeout) {
        Toolbox toolbox = get(name);
        if (!toolbox.running()) {
            return "already stopped";
        }
        engine.stop(name, timeout);
        return "stopped";
    }

    public String restart(String name, Duration timeout) {
        Toolbox toolbox = get(name);
        if (toolbox.running()) {
            engine.stop(name, timeout);
        }
        ports.requireFree(toolbox.host(), toolbox.port());
        engine.start(name);
        return "restarted on " + toolbox.url();
    }

    public String remove(String name, boolean force) {
        Toolbox toolbox = get(name);
        if (toolbox.running() && !force) {
            throw OrchestratorException.conflict("toolbox '" + name + "' is running",
                    "stop it first with `1bit toolbox stop " + name + "`, or pass --force");
        }
        engine.remove(name, force);
        return "removed";
    }

    public void logs(String name, boolean follow, OutputStream out, OutputStream err) {
        get(name);
        engine.logs(name, follow, out, err);
    }

    public int exec(String name, List<String> command, OutputStream out, OutputStream err) {
        requireRunning(get(name));
        return engine.exec(name, command, out, err);
    }

    /** Waits for the toolbox's health path to answer 200 within {@code timeout}, then lists its models. */
    public ProbeReport probe(String name, Duration timeout) {
        return probe(name, timeout, line -> { });
    }

    /** As above, telling {@code waiting} every few seconds how the load goes. */
    public ProbeReport probe(String name, Duration timeout, java.util.function.Consumer<String> waiting) {
        Toolbox toolbox = requireRunning(get(name));
        Duration took = new HttpWaitStrategy(toolbox.healthPath(), Duration.ofMillis(100), () -> engine.inspect(name)
                .filter(c -> c.state() == ContainerInfo.State.RUNNING).isPresent() ? java.util.Optional.empty()
                : java.util.Optional.of("toolbox '" + name + "' stopped before it became healthy"))
                .reporting(Duration.ofSeconds(3), waiting)
                .waitUntilReady(toolbox.url(), timeout);
        List<String> models = new ModelLister().models(toolbox.url(), toolbox.modelsPath(), Duration.ofSeconds(5));
        return new ProbeReport(name, toolbox.url(), took, models);
    }

    private Toolbox requireRunning(Toolbox toolbox) {
        if (!toolbox.running()) {
            String start = "start it with `1bit toolbox start " + toolbox.name() + "`";
            throw OrchestratorException.precondition("toolbox '" + toolbox.name() + "' is not running (" + toolbox.state().id() + ")",
                    toolbox.state() == ContainerInfo.State.EXITED
                            ? "see why with `1bit toolbox logs " + toolbox.name() + "`, then " + start : start);
        }
        return toolbox;
    }

    private static void validateName(String name) {
        systems.onebit.orchestrator.registry.Backend.validateName(name);
    }

    /** Host device nodes for the manifest's devices; a directory such as /dev/dri gives each node inside it. */
    List<DeviceMapping> devicesFor(ToolboxManifest manifest) {
        List<DeviceMapping> out = new ArrayList<>();
        for (String device : manifest.devices()) {
            Path onHost = host.resolve(device);
            if (!Files.exists(onHost)) {
                throw OrchestratorException.precondition("flavor " + manifest.flavor() + " needs " + device
                        + ", which this host does not have", hintForMissing(device));
            }
            if (Files.isDirectory(onHost)) {
                List<Path> nodes;
                try (Stream<Path> list = Files.list(onHost)) {
                    nodes = list.filter(p -> !Files.isDirectory(p)).sorted().toList();
                } catch (IOException e) {
                    throw OrchestratorException.precondition("cannot list " + device + " (" + e.getMessage() + ")",
                            "check its permissions with `1bit doctor`");
                }
                if (nodes.isEmpty()) {
                    throw OrchestratorException.precondition("flavor " + manifest.flavor() + " needs " + device
                            + ", which holds no device nodes", hintForMissing(device));
                }
                for (Path node : nodes) {
                    out.add(new DeviceMapping(node.toString(), device + "/" + node.getFileName()));
                }
            } else {
                out.add(new DeviceMapping(onHost.toString(), device));
            }
        }
        return out;
    }

    private String hintForMissing(String device) {
        if (device.equals("/dev/kfd")) {
            return "ROCm needs the amdgpu kernel driver with KFD; use a Vulkan flavor (--flavor vulkan-radv), "
                    + "or see `1bit doctor`";
        }
        if (device.startsWith("/dev/dri")) {
            return "no GPU render node: load the amdgpu driver, or use --flavor cpu; see `1bit doctor`";
        }
        return "see `1bit doctor`";
    }

    private static Path checkModel(Path model) {
        Path abs = model.toAbsolutePath().normalize();
        if (!Files.exists(abs)) {
            throw OrchestratorException.notFound("model file " + abs + " does not exist",
                    "give the path of a .gguf file with --model");
        }
        if (!Files.isRegularFile(abs)) {
            throw OrchestratorException.precondition("model " + abs + " is not a regular file",
                    "give the path of a .gguf file with --model");
        }
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(abs)) {
            if (in.readNBytes(magic, 0, 4) != 4 || !java.util.Arrays.equals(magic, GGUF_MAGIC)) {
                throw OrchestratorException.precondition("model " + abs + " is not a GGUF file",
                        "llama-server loads .gguf files; convert the model or pick another file");
            }
        } catch (IOException e) {
            throw OrchestratorException.precondition("model " + abs + " cannot be read (" + e.getMessage() + ")",
                    "make it readable (chmod a+r) by the user that runs 1bit and Podman");
        }
        return abs;
    }

}
