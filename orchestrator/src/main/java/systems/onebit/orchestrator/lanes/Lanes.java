package systems.onebit.orchestrator.lanes;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.apps.LocalApp;
import systems.onebit.orchestrator.apps.LocalApps;
import systems.onebit.orchestrator.doctor.CheckResult;
import systems.onebit.orchestrator.engine.ContainerEngine;
import systems.onebit.orchestrator.host.HostPaths;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.stack.DetachedProcess;
import systems.onebit.orchestrator.stack.Lane;
import systems.onebit.orchestrator.stack.SystemdLane;
import systems.onebit.orchestrator.systemd.SystemdUnits;

/**
 * The lanes of a registry besides the toolboxes and the proxy: FastFlowLM on the NPU (the registry's {@code flm}
 * backend, when it names a model to serve), Open WebUI and GAIA (the registry's {@code apps}); each run by its
 * systemd unit where one is installed, else as a container or a detached process. A lane whose program is not on
 * this host is a {@link Refused} one that says what to install.
 */
public final class Lanes {

    /**
     * What lanes are built from on this host.
     *
     * @param stateDir    where detached lanes keep pid, log and port files
     * @param configDir   1bit's configuration: {@code apps/open-webui.yaml} (the user's manifest), {@code flm.env}
     * @param npuBlockers the doctor's checks the NPU fails now
     * @param proxyKey    the proxy's API key, given to Open WebUI
     */
    public record Host(Map<String, String> env, HostPaths paths, Path stateDir, Path configDir,
                       Supplier<List<CheckResult>> npuBlockers, Optional<String> proxyKey) {
        public Host {
            env = Map.copyOf(env);
        }
    }

    private final Host host;
    private final Supplier<ContainerEngine> engine;
    private final Function<String, Optional<SystemdUnits>> systemd;

    /** @param systemd the manager that has a given unit installed, if any */
    public Lanes(Host host, Supplier<ContainerEngine> engine, Function<String, Optional<SystemdUnits>> systemd) {
        this.host = host;
        this.engine = engine;
        this.systemd = systemd;
    }

    /** The lanes `up` starts and `down` stops, in that order: NPU, Open WebUI, GAIA, each when enabled. */
    public List<Lane> enabled(Registry registry) {
        List<Lane> lanes = new ArrayList<>();
        flm(registry).filter(b -> b.enabled() && !b.models().isEmpty()).ifPresent(b -> lanes.add(npu(registry)));
        if (registry.apps().webui()) {
            lanes.add(webui(registry));
        }
        if (registry.apps().gaia()) {
            lanes.add(gaia(registry));
        }
        return lanes;
    }

    /** The registry's FastFlowLM backend: the first of kind flm. */
    public static Optional<Backend> flm(Registry registry) {
        return registry.backends().stream().filter(b -> b.kind() == BackendKind.FLM).findFirst();
    }

    /** {@code flm serve MODEL --host H --port P ARGS…} for the registry's flm entry and its first model. */
    public Lane npu(Registry registry) {
        Optional<Backend> entry = flm(registry);
        if (entry.isEmpty() || entry.get().models().isEmpty()) {
            return new Refused(NpuLane.NAME, OrchestratorException.precondition("no FastFlowLM model to serve",
                    "name one: `1bit npu up MODEL` (e.g. llama3.2:1b; `flm list` shows them)"));
        }
        Backend flm = entry.get();
        URI url = URI.create(flm.url().getScheme() + "://" + flm.url().getHost() + ":" + flm.port());
        Optional<SystemdUnits> unit = systemd.apply(SystemdLane.FLM_UNIT);
        if (unit.isPresent()) {
            // The unit reads the model and flags from flm.env, written before each start.
            String env = "# written by `1bit npu up`: what 1bit-flm.service serves\nFLM_MODEL=" + flm.models().getFirst()
                    + "\nFLM_PORT=" + flm.port() + "\nFLM_ARGS=" + String.join(" ", flm.args()) + "\n";
            return new NpuLane(new EnvFileLane(host.configDir().resolve("flm.env"), env,
                    new SystemdLane(NpuLane.NAME, SystemdLane.FLM_UNIT, unit.get(), url, "/v1/models")), host.npuBlockers());
        }
        Optional<Path> program = onPath("flm");
        if (program.isEmpty()) {
            return new Refused(NpuLane.NAME, OrchestratorException.notFound("FastFlowLM is not installed (no flm on PATH)",
                    "install it: https://github.com/FastFlowLM/FastFlowLM (Linux: docs/linux-getting-started.md)"));
        }
        List<String> command = new ArrayList<>(detached());
        command.addAll(List.of(program.get().toString(), "serve", flm.models().getFirst(), "--host", url.getHost(),
                "--port", Integer.toString(flm.port())));
        command.addAll(flm.args());
        return new NpuLane(new DetachedProcess(NpuLane.NAME, command, host.env(), host.stateDir(), url, "/v1/models"),
                host.npuBlockers());
    }

    /** Open WebUI: the container, or the pip-installed program when the registry says pip. */
    public Lane webui(Registry registry) {
        URI api = registry.proxyUrl().resolve("/v1");
        if (registry.apps().webuiMode().equals("container")) {
            return new WebuiContainer(engine, WebuiManifest.load(host.configDir().resolve("apps")), api, host.proxyKey());
        }
        LocalApp app = new LocalApps(host.env(), host.paths()).openWebUi(registry.proxyUrl());
        if (!app.installed() || app.how().equals("systemd unit")) {
            return new Refused(WebuiContainer.NAME, OrchestratorException.notFound("open-webui is not installed with pip here",
                    "pipx install open-webui, or use the container: apps.webui.mode: container"));
        }
        Map<String, String> env = new HashMap<>(host.env());
        env.put("OPENAI_API_BASE_URL", api.toString());
        host.proxyKey().ifPresent(k -> env.put("OPENAI_API_KEY", k));
        List<String> command = new ArrayList<>(detached());
        command.addAll(List.of(app.installedAt(), "serve", "--host", "127.0.0.1", "--port",
                Integer.toString(Registry.OPEN_WEBUI_PORT)));
        return new DetachedProcess(WebuiContainer.NAME, command, env, host.stateDir(),
                URI.create("http://127.0.0.1:" + Registry.OPEN_WEBUI_PORT), "/health");
    }

    /** GAIA's Agent UI from its CLI (on PATH or in its venv). */
    public Lane gaia(Registry registry) {
        LocalApp app = new LocalApps(host.env(), host.paths()).gaia(registry.proxyUrl());
        if (!app.installed()) {
            return new Refused(GaiaLane.NAME, OrchestratorException.notFound("GAIA is not installed",
                    "install its CLI (https://github.com/amd/gaia: pip install amd-gaia)"));
        }
        if (app.how().equals("appimage")) {
            return new Refused(GaiaLane.NAME, OrchestratorException.precondition("GAIA here is the desktop AppImage ("
                    + app.installedAt() + "), which 1bit does not run headless",
                    "start it from your desktop and give it " + app.baseUrl() + ", or install the CLI (pip install amd-gaia)"));
        }
        List<String> launcher = new ArrayList<>(detached());
        launcher.add(app.installedAt());
        return new GaiaLane(launcher, host.env(), host.stateDir(), app.baseUrl(), registry.apps().gaiaPort());
    }

    /** setsid where present: a detached lane must not get the terminal's hang-up or Ctrl-C. */
    private static List<String> detached() {
        return Files.isExecutable(Path.of("/usr/bin/setsid")) ? List.of("/usr/bin/setsid") : List.of();
    }

    private Optional<Path> onPath(String program) {
        for (String dir : host.env().getOrDefault("PATH", "").split(":")) {
            if (!dir.isBlank() && Files.isExecutable(Path.of(dir, program))) {
                return Optional.of(Path.of(dir, program));
            }
        }
        return Optional.empty();
    }
}
