package systems.onebit.orchestrator.stack;

import systems.onebit.orchestrator.OrchestratorException;

/** What {@code up} or {@code down} did to one component, so that a run can partly succeed and say so. */
public sealed interface StackReport {

    String component();

    /** The component was created, started or stopped by this run. */
    record Changed(String component, String detail) implements StackReport {
    }

    /** The component already was as asked: nothing was done. */
    record Unchanged(String component, String detail) implements StackReport {
    }

    record Failed(String component, OrchestratorException error) implements StackReport {
    }
}
