package systems.onebit.orchestrator.ondemand;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.registry.ModelEntry;

/**
 * The loaded models' state, shared by the {@link ModelScheduler} (starts, evictions, leases) and the
 * {@link ModelSupervisor} (TTLs, health, restarts): one lock, and one condition every waiter wakes on.
 */
final class ModelSlots {

    enum State { STARTING, READY, RESTARTING, STOPPING }

    /** One model held: its backend once ready, its requests in flight, when it was last used. */
    static final class Slot {
        final ModelEntry entry;
        final long bytes;
        State state = State.STARTING;
        Optional<RunningModel> running = Optional.empty();
        int inFlight;
        long lastUsed = System.nanoTime();
        int restarts;

        Slot(ModelEntry entry, long bytes) {
            this.entry = entry;
            this.bytes = bytes;
        }
    }

    /** The last failed start of a model: what went wrong, and when the next try may begin. */
    record Failure(String message, OrchestratorException.Reason reason, long at, long notBefore, int count) {
    }

    final ReentrantLock lock = new ReentrantLock();
    final Condition changed = lock.newCondition();
    final Map<String, Slot> slots = new LinkedHashMap<>();
    final Map<String, Failure> failures = new HashMap<>();
    /** Set once, under the lock, when the scheduler closes. */
    boolean closed;

    void locked(Runnable action) {
        lock.lock();
        try {
            action.run();
        } finally {
            lock.unlock();
        }
    }

    <T> T locked(Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }
}
