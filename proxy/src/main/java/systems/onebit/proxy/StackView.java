package systems.onebit.proxy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import systems.onebit.orchestrator.logs.LogService;
import systems.onebit.orchestrator.logs.LogSource;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.status.StatusReport;
import systems.onebit.orchestrator.status.StatusService;

/**
 * What the proxy shows of the stack beyond itself, on {@code GET /api/v1/status} and the status page: the
 * {@link StatusService} report `1bit status` renders, and the containers' logs. A proxy started without 1bit's CLI
 * around it has neither.
 */
@FunctionalInterface
public interface StackView {

    Optional<StatusReport> status(Supplier<Registry> registry);

    /** Whether this view ever has a report (the page asks once, from its config). */
    default boolean available() {
        return true;
    }

    /**
     * Follows the logs of the toolbox and on-demand model containers (a few recent lines first) into {@code sink} as
     * {@code component | line}, until the thread is interrupted.
     */
    default void followLogs(Supplier<Registry> registry, Consumer<String> sink) throws InterruptedException {
    }

    static StackView none() {
        return new StackView() {
            @Override
            public Optional<StatusReport> status(Supplier<Registry> registry) {
                return Optional.empty();
            }

            @Override
            public boolean available() {
                return false;
            }
        };
    }

    static StackView of(StatusService status, Duration timeout, LogService logs) {
        return new StackView() {
            @Override
            public Optional<StatusReport> status(Supplier<Registry> registry) {
                return Optional.of(status.collect(registry, timeout));
            }

            @Override
            public void followLogs(Supplier<Registry> registry, Consumer<String> sink) throws InterruptedException {
                List<LogSource> containers = logs.sources(registry.get()).values().stream()
                        .filter(s -> s instanceof LogSource.Container).toList();
                logs.read(containers, 20, true, Instant.EPOCH, (component, line) -> sink.accept(component + " | " + line));
            }
        };
    }
}
