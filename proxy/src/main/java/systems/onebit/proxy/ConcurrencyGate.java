package systems.onebit.proxy;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per-backend concurrency limit with a bounded FIFO queue: at most {@code limit} requests run on a backend, at
 * most {@code queue} wait for it in arrival order, and the rest are turned away (429).
 */
final class ConcurrencyGate {

    private final int limit;
    private final int queue;
    private final ConcurrentHashMap<String, Lane> lanes = new ConcurrentHashMap<>();

    private record Lane(Semaphore slots, AtomicInteger waiting) {
    }

    /** Releases the slot when closed. */
    interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    ConcurrencyGate(int limit, int queue) {
        this.limit = limit;
        this.queue = queue;
    }

    /** A slot on {@code backend}, waiting in line if needed; empty when the line is full. */
    Optional<Permit> enter(String backend) throws InterruptedException {
        Lane lane = lanes.computeIfAbsent(backend, b -> new Lane(new Semaphore(limit, true), new AtomicInteger()));
        if (!lane.slots().tryAcquire()) {
            if (lane.waiting().incrementAndGet() > queue) {
                lane.waiting().decrementAndGet();
                return Optional.empty();
            }
            try {
                lane.slots().acquire();
            } finally {
                lane.waiting().decrementAndGet();
            }
        }
        return Optional.of(lane.slots()::release);
    }
}
