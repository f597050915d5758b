package systems.onebit.orchestrator.stack;

import java.net.URI;
import java.time.Duration;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.probe.HttpWaitStrategy;
import systems.onebit.orchestrator.systemd.SystemdUnits;
import systems.onebit.orchestrator.systemd.UnitStatus;

/** The proxy as the systemd unit {@code 1bit-proxy.service}, started and stopped over D-Bus. */
public final class SystemdProxy implements ProxyControl {

    public static final String UNIT = "1bit-proxy.service";

    private final SystemdUnits systemd;
    private final URI url;

    public SystemdProxy(SystemdUnits systemd, URI url) {
        this.systemd = systemd;
        this.url = url;
    }

    @Override
    public String describe() {
        return systemd.describe() + " unit " + UNIT;
    }

    @Override
    public StackReport up(Duration timeout) {
        try {
            UnitStatus status = systemd.status(UNIT).orElseThrow(() -> OrchestratorException.notFound(
                    systemd.describe() + " has no unit " + UNIT, "install it with install.sh"));
            if (status.active()) {
                return new StackReport.Unchanged("proxy", "unit " + UNIT + " already active (" + systemd.describe() + ")");
            }
            systemd.start(UNIT, timeout);
            Duration took = new HttpWaitStrategy("/health", Duration.ofMillis(50), java.util.Optional::empty,
                    "`journalctl " + (systemd.describe().contains("--user") ? "--user " : "") + "-u " + UNIT + "`")
                    .waitUntilReady(url, timeout);
            return new StackReport.Changed("proxy", "started unit " + UNIT + " through " + systemd.describe()
                    + ", answering on " + url + " in " + took.toMillis() + " ms");
        } catch (OrchestratorException e) {
            return new StackReport.Failed("proxy", e);
        }
    }

    @Override
    public StackReport down(Duration timeout) {
        try {
            UnitStatus status = systemd.status(UNIT).orElseThrow(() -> OrchestratorException.notFound(
                    systemd.describe() + " has no unit " + UNIT, "install it with install.sh"));
            if (!status.active()) {
                return new StackReport.Unchanged("proxy", "unit " + UNIT + " already " + status.activeState());
            }
            systemd.stop(UNIT, timeout);
            return new StackReport.Changed("proxy", "stopped unit " + UNIT + " through " + systemd.describe());
        } catch (OrchestratorException e) {
            return new StackReport.Failed("proxy", e);
        }
    }
}
