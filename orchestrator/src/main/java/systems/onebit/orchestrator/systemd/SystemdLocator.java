package systems.onebit.orchestrator.systemd;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import systems.onebit.orchestrator.OrchestratorException;

/**
 * Finds a systemd manager to talk to: the user's ({@code DBUS_SESSION_BUS_ADDRESS}, else
 * {@code $XDG_RUNTIME_DIR/bus}), then the system's ({@code DBUS_SYSTEM_BUS_ADDRESS}, else
 * {@code /run/dbus/system_bus_socket}); {@code ONEBIT_SYSTEMD=user|system|none} picks one or none. Each skipped
 * candidate is recorded with why.
 */
public final class SystemdLocator {

    private static final System.Logger LOG = System.getLogger(SystemdLocator.class.getName());

    record Candidate(String description, String address) {
    }

    private final List<Candidate> candidates;
    private final List<String> skipped = new ArrayList<>();

    private SystemdLocator(List<Candidate> candidates) {
        this.candidates = List.copyOf(candidates);
    }

    public static SystemdLocator standard(Map<String, String> env) {
        String which = env.getOrDefault("ONEBIT_SYSTEMD", "auto");
        List<Candidate> candidates = new ArrayList<>();
        if (which.equals("auto") || which.equals("user")) {
            String session = env.getOrDefault("DBUS_SESSION_BUS_ADDRESS", "");
            String runtime = env.getOrDefault("XDG_RUNTIME_DIR", "");
            if (!session.isBlank()) {
                candidates.add(new Candidate("systemd --user", session));
            } else if (!runtime.isBlank() && Files.exists(Path.of(runtime, "bus"))) {
                candidates.add(new Candidate("systemd --user", "unix:path=" + Path.of(runtime, "bus")));
            }
        }
        if (which.equals("auto") || which.equals("system")) {
            String system = env.getOrDefault("DBUS_SYSTEM_BUS_ADDRESS", "");
            if (!system.isBlank()) {
                candidates.add(new Candidate("systemd (system)", system));
            } else if (Files.exists(Path.of("/run/dbus/system_bus_socket"))) {
                candidates.add(new Candidate("systemd (system)", "unix:path=/run/dbus/system_bus_socket"));
            }
        }
        return new SystemdLocator(candidates);
    }

    /**
     * The first manager that answers and has {@code unit} installed; empty when none does (then 1bit controls
     * processes itself).
     */
    public Optional<SystemdUnits> withUnit(String unit) {
        for (Candidate candidate : candidates) {
            DbusSystemd systemd;
            try {
                systemd = DbusSystemd.connect(candidate.address(), candidate.description());
            } catch (OrchestratorException e) {
                skip(candidate, e.getMessage());
                continue;
            }
            try {
                if (systemd.status(unit).isPresent()) {
                    return Optional.of(systemd);
                }
                skip(candidate, "no unit " + unit);
            } catch (OrchestratorException e) {
                skip(candidate, e.getMessage());
            }
            systemd.close();
        }
        return Optional.empty();
    }

    /** Why each candidate was passed over, in order. */
    public List<String> skipped() {
        return List.copyOf(skipped);
    }

    private void skip(Candidate candidate, String why) {
        String line = candidate.description() + " at " + candidate.address() + ": " + why;
        skipped.add(line);
        LOG.log(System.Logger.Level.DEBUG, "systemd candidate skipped: {0}", line);
    }
}
