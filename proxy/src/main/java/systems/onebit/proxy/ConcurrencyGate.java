package systems.onebit.proxy;

import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Per-backend in-flight limit with a bounded FIFO line: at most {@code limit} requests run on a backend (the limit
 * can change, e.g. once a backend has said how many slots it has), at most {@code queue} wait in the proxy in
 * arrival order, and the rest are turned away (429). Waiting here instead of in the backend's accept queue keeps the
 * backend's HTTP threads free for health probes and quick requests.
 */
final class ConcurrencyGate {

    private final int defaultLimit;
    private final int queue;
    private final ConcurrentHashMap<String, Lane> lanes = new ConcurrentHashMap<>();

    /** Releases the slot when closed. */
    interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    ConcurrencyGate(int defaultLimit, int queue) {
        this.defaultLimit = defaultLimit;
        this.queue = queue;
    }

    private static final class Lane {
        final ReentrantLock lock = new ReentrantLock();
        /** One condition per waiter: a freed slot wakes the first in line only, not every waiter to find its turn. */
        final ArrayDeque<Condition> line = new ArrayDeque<>();
        volatile int running;
        int limit;

        /** Wakes the first in line when a slot is free for it (called with the lock held). */
        void wakeFirst() {
            if (!line.isEmpty() && running < limit) {
                line.peekFirst().signal();
            }
        }
    }

    /**
     * A slot on {@code backend}, waiting in line if needed; empty when the line is full.
     *
     * @param limit the backend's own slot count, or 0 for the default
     */
    Optional<Permit> enter(String backend, int limit) throws InterruptedException {
        Lane lane = lanes.computeIfAbsent(backend, b -> new Lane());
        lane.lock.lock();
        try {
            lane.limit = limit > 0 ? limit : defaultLimit;
            lane.wakeFirst();  // the limit may have grown
            if (lane.line.isEmpty() && lane.running < lane.limit) {
                lane.running++;
                return Optional.of(permit(lane));
            }
            if (lane.line.size() >= queue) {
                return Optional.empty();
            }
            Condition ticket = lane.lock.newCondition();
            lane.line.addLast(ticket);
            try {
                while (lane.line.peekFirst() != ticket || lane.running >= lane.limit) {
                    ticket.await();
                }
            } catch (InterruptedException e) {
                lane.line.remove(ticket);
                lane.wakeFirst();
                throw e;
            }
            lane.line.removeFirst();
            lane.running++;
            lane.wakeFirst();  // the next in line may fit too
            return Optional.of(permit(lane));
        } finally {
            lane.lock.unlock();
        }
    }

    /** Requests waiting in line for {@code backend} now. */
    int waiting(String backend) {
        Lane lane = lanes.get(backend);
        if (lane == null) {
            return 0;
        }
        lane.lock.lock();
        try {
            return lane.line.size();
        } finally {
            lane.lock.unlock();
        }
    }

    /** Requests running on {@code backend} now. */
    int inFlight(String backend) {
        Lane lane = lanes.get(backend);
        return lane == null ? 0 : lane.running;
    }

    private static Permit permit(Lane lane) {
        boolean[] released = {false};
        return () -> {
            lane.lock.lock();
            try {
                if (!released[0]) {
                    released[0] = true;
                    lane.running--;
                    lane.wakeFirst();
                }
            } finally {
                lane.lock.unlock();
            }
        };
    }
}
