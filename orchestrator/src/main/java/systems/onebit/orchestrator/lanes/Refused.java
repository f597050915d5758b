package systems.onebit.orchestrator.lanes;

import java.time.Duration;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.stack.Lane;
import systems.onebit.orchestrator.stack.StackReport;

/** A lane that cannot run on this host (its program is not installed): `up` reports why, `down` has nothing to do. */
public record Refused(String name, OrchestratorException why) implements Lane {

    @Override
    public String describe() {
        return "not available: " + why.getMessage();
    }

    @Override
    public StackReport up(Duration timeout) {
        return new StackReport.Failed(name, why);
    }

    @Override
    public StackReport down(Duration timeout) {
        return new StackReport.Unchanged(name, "not running (" + why.getMessage() + ")");
    }
}
