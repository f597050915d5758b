package systems.onebit.proxy;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The access log written off the request path: lines are queued and a background thread writes them in batches, one
 * flush per batch. Measured: a println per request (a write to the log file or journald's pipe) was a fifth of the
 * proxy's CPU per request. A full queue (a log that cannot keep up) drops lines and says how many.
 */
public final class AccessLog implements Consumer<String>, AutoCloseable {

    private final PrintStream out;
    private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(65_536);
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;
    private volatile boolean closed;

    public AccessLog(PrintStream out) {
        this.out = out;
        this.writer = Thread.ofPlatform().daemon().name("1bit-access-log").start(this::write);
    }

    @Override
    public void accept(String line) {
        if (!lines.offer(line)) {
            dropped.incrementAndGet();
        }
    }

    /**
     * Every 20 ms, whatever has queued. Polled, not signalled: a wake-up of this thread per request (a futex call)
     * would cost the request path more than the write it saves.
     */
    private void write() {
        List<String> batch = new ArrayList<>();
        while (!closed || !lines.isEmpty()) {
            lines.drainTo(batch);
            if (batch.isEmpty()) {
                LockSupport.parkNanos(20_000_000L);
                continue;
            }
            StringBuilder text = new StringBuilder(batch.size() * 96);
            long lost = dropped.getAndSet(0);
            if (lost > 0) {
                text.append("(access log: ").append(lost).append(" lines dropped, the log could not keep up)\n");
            }
            batch.forEach(line -> text.append(line).append('\n'));
            out.print(text);
            out.flush();
            batch.clear();
        }
    }

    /** Writes what is queued, then stops. */
    @Override
    public void close() {
        closed = true;
        try {
            writer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
