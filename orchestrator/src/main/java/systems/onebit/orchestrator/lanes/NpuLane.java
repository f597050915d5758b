package systems.onebit.orchestrator.lanes;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.doctor.CheckResult;
import systems.onebit.orchestrator.stack.Lane;
import systems.onebit.orchestrator.stack.StackReport;

/**
 * FastFlowLM on the XDNA NPU ({@code flm serve MODEL}), run by {@code runner} (its systemd unit or a detached
 * process). Refuses to start, with the doctor's reason and fix, on a host where the NPU is not usable: no
 * {@code /dev/accel}, the IOMMU off, memlock limited — rather than start something that crashes.
 */
public final class NpuLane implements Lane {

    public static final String NAME = "npu";

    private final Lane runner;
    private final Supplier<List<CheckResult>> blockers;

    public NpuLane(Lane runner, Supplier<List<CheckResult>> blockers) {
        this.runner = runner;
        this.blockers = blockers;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String describe() {
        return "FastFlowLM, " + runner.describe();
    }

    @Override
    public StackReport up(Duration timeout) {
        List<CheckResult> blocking = blockers.get();
        if (!blocking.isEmpty()) {
            CheckResult first = blocking.getFirst();
            return new StackReport.Failed(NAME, OrchestratorException.precondition("the NPU is not usable: " + first.detail()
                    + (blocking.size() > 1 ? " (and " + (blocking.size() - 1) + " more: `1bit doctor`)" : ""), first.fix()));
        }
        return runner.up(timeout);
    }

    @Override
    public StackReport down(Duration timeout) {
        return runner.down(timeout);
    }
}
