package systems.onebit.proxy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.logs.LogService;
import systems.onebit.orchestrator.logs.LogSource;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.status.StatusReport;
import systems.onebit.orchestrator.status.StatusService;
import systems.onebit.orchestrator.toolbox.ToolboxService;

/**
 * What the proxy shows of the stack beyond itself, on {@code GET /api/v1/status} and the status page: the
 * {@link StatusService} report `1bit status` renders, and the containers' logs. A proxy started without 1bit's CLI
 * around it has neither.
 */
@FunctionalInterface
public interface StackView {

    /** How long a restart waits for the container to stop before Podman kills it (`1bit toolbox restart`'s default). */
    Duration STOP_TIMEOUT = Duration.ofSeconds(10);

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

    /**
     * Restarts the toolbox container {@code name} (the page's Restart action); says how it went, or throws
     * {@link OrchestratorException} why it cannot (not a toolbox 1bit made, its port taken, no stack here).
     */
    default String restartToolbox(String name) {
        throw OrchestratorException.precondition("this proxy runs without 1bit's stack, so it cannot restart '" + name + "'",
                "run `1bit toolbox restart " + name + "`, or start the proxy with `1bit proxy`");
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

    /** @param timeout each probe's; @param toolboxes restarts a toolbox (its stop waits as `1bit toolbox restart`'s) */
    static StackView of(StatusService status, Duration timeout, LogService logs, Supplier<ToolboxService> toolboxes) {
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

            @Override
            public String restartToolbox(String name) {
                return toolboxes.get().restart(name, STOP_TIMEOUT);
            }
        };
    }
}
