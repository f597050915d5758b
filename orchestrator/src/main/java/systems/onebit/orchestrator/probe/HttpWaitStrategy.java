package systems.onebit.orchestrator.probe;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;

/** Polls an HTTP path until it answers 200 (llama-server answers 503 while it loads the model). */
public final class HttpWaitStrategy implements WaitStrategy {

    private final String path;
    private final Duration pollInterval;
    private final Supplier<Optional<String>> giveUp;
    private final String logHint;
    private final Duration progressEvery;
    private final Consumer<String> progress;

    public HttpWaitStrategy(String path, Duration pollInterval) {
        this(path, pollInterval, Optional::empty);
    }

    /** @param giveUp checked between polls: a reason to stop waiting (the container exited), or empty */
    public HttpWaitStrategy(String path, Duration pollInterval, Supplier<Optional<String>> giveUp) {
        this(path, pollInterval, giveUp, "`1bit toolbox logs`");
    }

    /** @param logHint where the user reads why the server did not come up, for the error's hint */
    public HttpWaitStrategy(String path, Duration pollInterval, Supplier<Optional<String>> giveUp, String logHint) {
        this(path, pollInterval, giveUp, logHint, Duration.ZERO, line -> { });
    }

    private HttpWaitStrategy(String path, Duration pollInterval, Supplier<Optional<String>> giveUp, String logHint,
                             Duration progressEvery, Consumer<String> progress) {
        this.path = path;
        this.pollInterval = pollInterval;
        this.giveUp = giveUp;
        this.logHint = logHint;
        this.progressEvery = progressEvery;
        this.progress = progress;
    }

    /** The same wait, telling {@code progress} every {@code every} how long it has waited and what the server said. */
    public HttpWaitStrategy reporting(Duration every, Consumer<String> progress) {
        return new HttpWaitStrategy(path, pollInterval, giveUp, logHint, every, progress);
    }

    @Override
    public Duration waitUntilReady(URI base, Duration timeout) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        URI target = base.resolve(path);
        String last = "no answer yet";
        long reported = start;
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            HttpProbe.Result result = HttpProbe.get(base, path,
                    Duration.ofNanos(Math.min(left, Duration.ofSeconds(5).toNanos())));
            if (result.ok()) {
                return Duration.ofNanos(System.nanoTime() - start);
            }
            if (result.status() > 0 || last.equals("no answer yet") || left >= Duration.ofSeconds(5).toNanos()) {
                last = result.health();  // not a probe the deadline cut short: that says nothing new
            }
            if (!progressEvery.isZero() && System.nanoTime() - reported >= progressEvery.toNanos()) {
                reported = System.nanoTime();
                // llama-server answers 503 until its model is loaded: a large one takes minutes.
                progress.accept("loading, " + Duration.ofNanos(reported - start).toSeconds() + " s so far (" + last + ")");
            }
            Optional<String> reason = giveUp.get();
            if (reason.isPresent()) {
                throw OrchestratorException.precondition(reason.get(), "see why with " + logHint + ", then start it again");
            }
            try {
                Thread.sleep(Math.min(pollInterval.toMillis(), Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new OrchestratorException(OrchestratorException.Reason.TIMEOUT,
                target + " was not healthy within " + timeout.toMillis() + " ms (last: " + last + ")",
                "see the log with " + logHint + ", or wait longer with --timeout");
    }
}
