package systems.onebit.proxy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The proxy's recent access-log lines and whoever watches them live (the status page's log view): the last lines
 * kept for a new watcher, then each new one handed to every watcher's queue. A watcher that falls behind loses
 * lines, never the proxy's time.
 */
final class LogFeed {

    private static final int KEPT = 200;
    private static final int QUEUE = 1000;

    private final Deque<String> recent = new ArrayDeque<>();
    private final List<BlockingQueue<String>> watchers = new CopyOnWriteArrayList<>();

    void publish(String line) {
        synchronized (recent) {
            recent.addLast(line);
            if (recent.size() > KEPT) {
                recent.removeFirst();
            }
        }
        for (BlockingQueue<String> w : watchers) {
            w.offer(line);  // full: dropped for this watcher
        }
    }

    /** A queue of new lines (close it with {@link #unwatch}); {@code backlog} gets the recent ones first. */
    BlockingQueue<String> watch(List<String> backlog) {
        BlockingQueue<String> queue = new LinkedBlockingQueue<>(QUEUE);
        synchronized (recent) {
            backlog.addAll(new ArrayList<>(recent));
            watchers.add(queue);
        }
        return queue;
    }

    void unwatch(BlockingQueue<String> queue) {
        watchers.remove(queue);
    }
}
