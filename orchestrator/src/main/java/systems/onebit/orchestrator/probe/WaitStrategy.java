package systems.onebit.orchestrator.probe;

import java.net.URI;
import java.time.Duration;

/** Waits until a backend is ready, or fails with reason TIMEOUT after {@code timeout}. */
public interface WaitStrategy {
    /** Returns how long the wait took. */
    Duration waitUntilReady(URI base, Duration timeout);
}
