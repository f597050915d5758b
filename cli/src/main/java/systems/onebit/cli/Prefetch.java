package systems.onebit.cli;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import systems.onebit.orchestrator.OrchestratorException;

/**
 * Work a read-only command starts before picocli has built its command model (50-90 ms of the main thread at
 * start-up, the second core idle), collected by the command once it runs.
 */
final class Prefetch {

    private final Map<Class<?>, FutureTask<?>> started = new ConcurrentHashMap<>();

    <T> void start(Class<?> command, Callable<T> work) {
        FutureTask<T> task = new FutureTask<>(work);
        started.put(command, task);
        Thread.ofPlatform().daemon().name("ahead-" + command.getSimpleName()).start(task);
    }

    /** What {@link #start} started for {@code command}, once; its exception is rethrown here. */
    @SuppressWarnings("unchecked")
    <T> Optional<T> take(Class<?> command) {
        FutureTask<?> task = started.remove(command);
        if (task == null) {
            return Optional.empty();
        }
        try {
            return Optional.of((T) task.get());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OrchestratorException(OrchestratorException.Reason.TIMEOUT, "interrupted", "");
        }
    }
}
