package systems.onebit.orchestrator.stack;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.probe.HttpWaitStrategy;
import systems.onebit.orchestrator.systemd.SystemdUnits;
import systems.onebit.orchestrator.systemd.UnitStatus;

/** A lane run by its systemd unit ({@code 1bit-proxy.service}, {@code 1bit-flm.service}), started and stopped over D-Bus. */
public final class SystemdLane implements Lane {

    public static final String PROXY_UNIT = "1bit-proxy.service";
    public static final String FLM_UNIT = "1bit-flm.service";

    private final String name;
    private final String unit;
    private final SystemdUnits systemd;
    private final URI url;
    private final String readyPath;

    /** @param readyPath answers 200 on {@code url} once the unit's program serves */
    public SystemdLane(String name, String unit, SystemdUnits systemd, URI url, String readyPath) {
        this.name = name;
        this.unit = unit;
        this.systemd = systemd;
        this.url = url;
        this.readyPath = readyPath;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String describe() {
        return systemd.describe() + " unit " + unit;
    }

    @Override
    public StackReport up(Duration timeout) {
        try {
            UnitStatus status = systemd.status(unit).orElseThrow(() -> OrchestratorException.notFound(
                    systemd.describe() + " has no unit " + unit, "install it with install.sh"));
            if (status.active()) {
                return new StackReport.Unchanged(name, "unit " + unit + " already active (" + systemd.describe() + ")");
            }
            systemd.start(unit, timeout);
            Duration took = new HttpWaitStrategy(readyPath, Duration.ofMillis(50), Optional::empty,
                    "`journalctl " + (systemd.describe().contains("--user") ? "--user " : "") + "-u " + unit + "`")
                    .waitUntilReady(url, timeout);
            return new StackReport.Changed(name, "started unit " + unit + " through " + systemd.describe()
                    + ", answering on " + url + " in " + took.toMillis() + " ms");
        } catch (OrchestratorException e) {
            return new StackReport.Failed(name, e);
        }
    }

    @Override
    public StackReport down(Duration timeout) {
        try {
            UnitStatus status = systemd.status(unit).orElseThrow(() -> OrchestratorException.notFound(
                    systemd.describe() + " has no unit " + unit, "install it with install.sh"));
            if (!status.active()) {
                return new StackReport.Unchanged(name, "unit " + unit + " already " + status.activeState());
            }
            systemd.stop(unit, timeout);
            return new StackReport.Changed(name, "stopped unit " + unit + " through " + systemd.describe());
        } catch (OrchestratorException e) {
            return new StackReport.Failed(name, e);
        }
    }
}
