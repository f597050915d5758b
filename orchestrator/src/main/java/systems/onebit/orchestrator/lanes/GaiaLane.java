package systems.onebit.orchestrator.lanes;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.fs.LocalFiles;
import systems.onebit.orchestrator.stack.DetachedProcess;
import systems.onebit.orchestrator.stack.Lane;
import systems.onebit.orchestrator.stack.StackReport;

/**
 * GAIA's Agent UI ({@code gaia --ui --ui-port PORT --base-url PROXY/api/v1}, with {@code LEMONADE_BASE_URL} set the
 * same) as a detached process: the registry's port, or the next free one when that is taken; the port it got is kept
 * in {@code gaia.port} beside its pid file, for {@code status} and {@code down}. Up when {@code /api/health} answers.
 */
public final class GaiaLane implements Lane {

    public static final String NAME = "gaia";

    private final List<String> launcher;
    private final Map<String, String> environment;
    private final Path stateDir;
    private final URI lemonadeBase;
    private final int preferredPort;

    /**
     * @param launcher     how this host runs GAIA's CLI ({@code [/usr/bin/setsid, /home/u/.local/bin/gaia]})
     * @param lemonadeBase the proxy's Lemonade API ({@code http://127.0.0.1:13306/api/v1})
     */
    public GaiaLane(List<String> launcher, Map<String, String> environment, Path stateDir, URI lemonadeBase, int preferredPort) {
        this.launcher = List.copyOf(launcher);
        this.environment = Map.copyOf(environment);
        this.stateDir = stateDir;
        this.lemonadeBase = lemonadeBase;
        this.preferredPort = preferredPort;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String describe() {
        return "GAIA Agent UI, " + process(port()).describe();
    }

    /** The UI's port: the one it was started on, else the preferred one. */
    public int port() {
        try {
            return Integer.parseInt(Files.readString(portFile()).strip());
        } catch (IOException | NumberFormatException e) {
            return preferredPort;
        }
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port());
    }

    private Path portFile() {
        return stateDir.resolve("gaia.port");
    }

    private DetachedProcess process(int port) {
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of("--ui", "--ui-port", Integer.toString(port), "--base-url", lemonadeBase.toString()));
        Map<String, String> env = new HashMap<>(environment);
        env.put("LEMONADE_BASE_URL", lemonadeBase.toString());
        return new DetachedProcess(NAME, command, env, stateDir, URI.create("http://127.0.0.1:" + port), "/api/health");
    }

    @Override
    public StackReport up(Duration timeout) {
        DetachedProcess recorded = process(port());
        if (recorded.running().isPresent()) {
            return recorded.up(timeout);  // already started: reports it, or waits for it
        }
        int port = free(preferredPort).orElse(-1);
        if (port < 0) {
            return new StackReport.Failed(NAME, OrchestratorException.conflict("no free port for GAIA's UI from "
                    + preferredPort + " to " + (preferredPort + 49), "free one, or set apps.gaia.uiPort in the registry"));
        }
        try {
            Files.createDirectories(stateDir);
            LocalFiles.replace(portFile(), Integer.toString(port), false);
        } catch (IOException e) {
            return new StackReport.Failed(NAME, OrchestratorException.precondition("cannot write " + portFile() + " ("
                    + e.getMessage() + ")", "check that " + stateDir + " is writable"));
        }
        StackReport started = process(port).up(timeout);
        if (started instanceof StackReport.Changed(String component, String detail) && port != preferredPort) {
            return new StackReport.Changed(component, detail + " (port " + preferredPort + " was taken)");
        }
        return started;
    }

    @Override
    public StackReport down(Duration timeout) {
        return process(port()).down(timeout);
    }

    private static Optional<Integer> free(int from) {
        for (int port = from; port < from + 50 && port <= 65535; port++) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                return Optional.of(port);
            } catch (IOException e) {
                // taken: the next one
            }
        }
        return Optional.empty();
    }
}
