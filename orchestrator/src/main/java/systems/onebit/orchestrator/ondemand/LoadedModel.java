package systems.onebit.orchestrator.ondemand;

import java.time.Duration;

/**
 * One model the scheduler holds, as {@code GET /running} and {@code 1bit models running} show it.
 *
 * @param state    starting, ready, restarting or stopping
 * @param url      where its backend answers; empty while it starts
 * @param idle     since the last request ended (zero while requests are in flight)
 * @param restarts restarts after a crash since it was loaded
 */
public record LoadedModel(String alias, String state, String container, String url, long memoryBytes, boolean pinned,
                          int inFlight, Duration idle, Duration loadTime, int restarts) {
}
