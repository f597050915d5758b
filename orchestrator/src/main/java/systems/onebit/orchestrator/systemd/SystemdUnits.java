package systems.onebit.orchestrator.systemd;

import java.time.Duration;
import java.util.Optional;

/** The port to a systemd manager (the system one or a user's): query, start and stop units. */
public interface SystemdUnits extends AutoCloseable {

    /** Which manager this is, for messages: "systemd --user" or "systemd (system)". */
    String describe();

    /** The unit's state, or empty when the manager has no such unit file. */
    Optional<UnitStatus> status(String unit);

    /** Starts the unit and waits up to {@code timeout} for it to be active; returns its state then. */
    UnitStatus start(String unit, Duration timeout);

    /** Stops the unit and waits up to {@code timeout} for it to be inactive; returns its state then. */
    UnitStatus stop(String unit, Duration timeout);

    @Override
    void close();
}
