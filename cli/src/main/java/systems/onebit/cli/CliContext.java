package systems.onebit.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.doctor.Doctor;
import systems.onebit.orchestrator.engine.ContainerEngine;
import systems.onebit.orchestrator.engine.EngineLocator;
import systems.onebit.orchestrator.host.GpuMemory;
import systems.onebit.orchestrator.host.HostPaths;
import systems.onebit.orchestrator.host.ProcessLimits;
import systems.onebit.orchestrator.json.CachedYaml;
import systems.onebit.orchestrator.lanes.Lanes;
import systems.onebit.orchestrator.logs.LogService;
import systems.onebit.orchestrator.manifest.ManifestCatalog;
import systems.onebit.orchestrator.pull.HfCache;
import systems.onebit.orchestrator.pull.HubClient;
import systems.onebit.orchestrator.pull.ModelCatalog;
import systems.onebit.orchestrator.pull.PullService;
import systems.onebit.orchestrator.registry.Credentials;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.registry.RegistryStore;
import systems.onebit.orchestrator.stack.DetachedProcess;
import systems.onebit.orchestrator.stack.Lane;
import systems.onebit.orchestrator.stack.StackService;
import systems.onebit.orchestrator.stack.SystemdLane;
import systems.onebit.orchestrator.systemd.SystemdLocator;
import systems.onebit.orchestrator.systemd.SystemdUnits;
import systems.onebit.orchestrator.toolbox.ToolboxService;

/**
 * What commands need from the outside world: environment, streams, XDG paths and lazily opened services. The
 * container engine is opened on first use and closed when the command ends.
 */
public final class CliContext implements AutoCloseable {

    private final Map<String, String> env;
    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;
    private ContainerEngine engine;
    private EngineLocator locator;
    private ManifestCatalog catalog;
    private boolean loggingConfigured;
    private final XdgPaths paths;
    private final Prefetch prefetch = new Prefetch();

    public CliContext(Map<String, String> env, PrintStream out, PrintStream err) {
        this(env, System.in, out, err);
    }

    public CliContext(Map<String, String> env, InputStream in, PrintStream out, PrintStream err) {
        this.env = Map.copyOf(env);
        this.paths = new XdgPaths(this.env);
        this.in = in;
        this.out = out;
        this.err = err;
    }

    public InputStream in() {
        return in;
    }

    /** Backends' keys kept beside the registry (mode 600). */
    public Credentials credentials() {
        return new Credentials(configDir().resolve(Credentials.FILE));
    }

    /** Where backends' keys are looked up: the environment, then the credentials file. */
    public Map<String, String> keyEnvironment() {
        return credentials().under(env);
    }

    public Map<String, String> env() {
        return env;
    }

    public PrintStream out() {
        return out;
    }

    public PrintStream err() {
        return err;
    }

    /** 1bit's XDG directories (the commands' own paths; everything else here is wiring). */
    public XdgPaths paths() {
        return paths;
    }

    public Path configDir() {
        return paths.config();
    }

    public Path stateDir() {
        return paths.state();
    }

    public Path cacheDir() {
        return paths.cache();
    }

    /** The registry, read through a cache of its parsed tree (see {@link CachedYaml}). */
    public RegistryStore registry() {
        return new RegistryStore(configDir().resolve("registry.yaml"), new CachedYaml(cacheDir().resolve("registry.tree.json")));
    }

    /** Starts {@code work} for {@code command} before picocli has parsed the arguments (see {@link Prefetch}). */
    public <T> void ahead(Class<?> command, Callable<T> work) {
        prefetch.start(command, work);
    }

    /** What {@link #ahead} started for {@code command}, once. */
    public <T> Optional<T> takeAhead(Class<?> command) {
        return prefetch.take(command);
    }

    public ManifestCatalog catalog() {
        if (catalog == null) {
            catalog = ManifestCatalog.load(configDir().resolve("toolbox-manifests"));
        }
        return catalog;
    }

    /** Host facts are read under {@code ONEBIT_HOST_ROOT} when set (tests feed fake trees through it), else /. */
    public HostPaths host() {
        String root = env.getOrDefault("ONEBIT_HOST_ROOT", "");
        return root.isBlank() ? HostPaths.real() : new HostPaths(Path.of(root));
    }

    public synchronized EngineLocator locator() {
        if (locator == null) {
            String only = env.getOrDefault("ONEBIT_PODMAN_SOCKET", "");
            locator = only.isBlank()
                    ? EngineLocator.standard(env, host(), Path.of(System.getProperty("java.io.tmpdir"), "1bit-" + ProcessHandle.current().pid()))
                    : EngineLocator.only(java.net.URI.create(only.contains("://") ? only : "unix://" + only));
        }
        return locator;
    }

    /** Opened once, on first use; the proxy's threads (status, logs, on-demand models) share it. */
    public synchronized ContainerEngine engine() {
        if (engine == null) {
            configureLogging();
            engine = locator().locate();
        }
        return engine;
    }

    public ToolboxService toolboxes() {
        return new ToolboxService(this::catalog, engine(), host(), ProcessLimits.read(HostPaths.real()));
    }

    /** `1bit pull`: the Hub (or $HF_ENDPOINT) into the Hugging Face cache, then the registry. */
    public PullService pull() {
        return pull(4);
    }

    /** As {@link #pull()}, with {@code connections} parallel ranges per large file. */
    public PullService pull(int connections) {
        HubClient.Settings hub = HubClient.Settings.fromEnvironment(env);
        return new PullService(new HubClient(hub, connections), hub.endpoint().getHost(), HfCache.locate(env),
                ModelCatalog.embedded(), registry(), () -> GpuMemory.defaultBudget(host()),
                new PullService.Settings(4, Duration.ofSeconds(1), dataDir().resolve("models")));
    }

    public Path dataDir() {
        return paths.data();
    }

    /** {@code up}/{@code down}: the registry's toolbox backends and the proxy. */
    public StackService stack() {
        configureLogging();
        Registry registry = registry().read();
        return new StackService(registry, this::toolboxes, proxyControl(registry), lanes().enabled(registry), keyEnvironment());
    }

    /** `1bit logs`: the proxy's, the containers' and the lanes' logs. */
    public LogService logs() {
        return new LogService(this::engine, stateDir(), this::systemdWith);
    }

    /** The NPU, Open WebUI and GAIA lanes on this host. */
    public Lanes lanes() {
        Optional<String> proxyKey = Optional.ofNullable(env.get("ONEBIT_API_KEY")).filter(k -> !k.isBlank());
        return new Lanes(new Lanes.Host(env, host(), stateDir(), configDir(),
                () -> new Doctor(host(), env).npuBlockers(), proxyKey), this::engine, this::systemdWith);
    }

    /** The systemd manager (user, then system) that has {@code unit} installed, closed with this context. */
    private Optional<SystemdUnits> systemdWith(String unit) {
        var systemd = SystemdLocator.standard(env).withUnit(unit);
        systemd.ifPresent(this::closeLater);
        return systemd;
    }

    /** The proxy's systemd unit when a systemd manager has it installed, else a detached process. */
    public Lane proxyControl(Registry registry) {
        URI url = registry.proxyUrl();
        var systemd = SystemdLocator.standard(env).withUnit(SystemdLane.PROXY_UNIT);
        if (systemd.isPresent()) {
            closeLater(systemd.get());
            return new SystemdLane("proxy", SystemdLane.PROXY_UNIT, systemd.get(), url, "/health");
        }
        return DetachedProcess.proxy(proxyCommand(), env, stateDir(), url);
    }

    /**
     * The command that runs {@code 1bit proxy} in the foreground with this very JVM and class path, in a session of
     * its own (setsid) so that a terminal's hang-up or Ctrl-C does not reach it. No shell is involved.
     */
    List<String> proxyCommand() {
        List<String> command = new java.util.ArrayList<>();
        if (java.nio.file.Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            command.add("/usr/bin/setsid");
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .map(p -> Path.of(p).toAbsolutePath().toString())
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator)));
        command.add(Main.class.getName());
        command.add("proxy");
        return command;
    }

    private final List<AutoCloseable> closeLater = new java.util.ArrayList<>();

    private void closeLater(AutoCloseable resource) {
        closeLater.add(resource);
    }

    /**
     * Routes docker-java's and our own System.Logger output through java.util.logging: quiet unless
     * ONEBIT_LOG=debug. Called only by commands that reach code which logs: initialising JUL costs start-up time.
     */
    public void configureLogging() {
        if (loggingConfigured) {
            return;
        }
        loggingConfigured = true;
        Logger root = Logger.getLogger("");
        boolean debug = "debug".equalsIgnoreCase(env.getOrDefault("ONEBIT_LOG", ""));
        root.setLevel(debug ? Level.FINE : Level.WARNING);
        for (var handler : root.getHandlers()) {
            handler.setLevel(debug ? Level.FINE : Level.WARNING);
        }
        if (root.getHandlers().length == 0) {
            root.addHandler(new ConsoleHandler());
        }
    }

    @Override
    public void close() {
        for (AutoCloseable resource : closeLater) {
            try {
                resource.close();
            } catch (Exception ignored) {
                // closing must not hide the command's own outcome
            }
        }
        if (engine != null) {
            try {
                engine.close();
            } catch (OrchestratorException ignored) {
                // closing must not hide the command's own outcome
            }
        }
    }
}
