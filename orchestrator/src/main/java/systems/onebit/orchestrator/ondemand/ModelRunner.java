package systems.onebit.orchestrator.ondemand;

import java.time.Duration;
import java.util.List;
import systems.onebit.orchestrator.registry.ModelEntry;

/**
 * The port the {@link ModelScheduler} starts and stops model backends through. Each call is bounded; failures are
 * {@link systems.onebit.orchestrator.OrchestratorException}s whose message says what went wrong.
 */
public interface ModelRunner {

    /** Starts a backend for {@code model} on a free port and returns once it answers healthy (or throws). */
    RunningModel start(ModelEntry model, Duration timeout);

    /** Stops and removes the backend; a backend that is already gone is not an error. */
    void stop(RunningModel model);

    /** Whether the backend still runs and answers its health check within {@code timeout}. */
    boolean alive(RunningModel model, Duration timeout);

    /**
     * Backends left running by an earlier proxy for models still registered with the same launch settings, to be
     * taken over instead of started again; every other leftover is removed.
     */
    List<RunningModel> adopt(List<ModelEntry> registered);
}
