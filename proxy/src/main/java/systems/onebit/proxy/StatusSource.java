package systems.onebit.proxy;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.status.StatusReport;
import systems.onebit.orchestrator.status.StatusService;

/**
 * Where {@code GET /api/v1/status} (and the status page) get the stack's state: the same {@link StatusService} that
 * `1bit status` renders. A proxy started without 1bit's CLI around it has none.
 */
@FunctionalInterface
public interface StatusSource {

    Optional<StatusReport> collect(Supplier<Registry> registry);

    /** Whether this source ever has a report (the page asks once, from its config). */
    default boolean available() {
        return true;
    }

    static StatusSource none() {
        return new StatusSource() {
            @Override
            public Optional<StatusReport> collect(Supplier<Registry> registry) {
                return Optional.empty();
            }

            @Override
            public boolean available() {
                return false;
            }
        };
    }

    static StatusSource of(StatusService service, Duration timeout) {
        return registry -> Optional.of(service.collect(registry, timeout));
    }
}
