package systems.onebit.orchestrator.toolbox;

import systems.onebit.orchestrator.OrchestratorException;

/** The outcome for one name of a command given several names ({@code stop a b c}), so a command can partly succeed. */
public sealed interface ItemReport {
    String name();

    record Done(String name, String detail) implements ItemReport {
    }

    record Failed(String name, OrchestratorException error) implements ItemReport {
    }
}
