package systems.onebit.orchestrator.systemd;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.Properties;
import systems.onebit.orchestrator.OrchestratorException;

/** {@link SystemdUnits} over D-Bus ({@code org.freedesktop.systemd1}) with dbus-java's native unix socket transport. */
public final class DbusSystemd implements SystemdUnits {

    private final DBusConnection connection;
    private final SystemdManager manager;
    private final String description;

    private DbusSystemd(DBusConnection connection, SystemdManager manager, String description) {
        this.connection = connection;
        this.manager = manager;
        this.description = description;
    }

    /**
     * Connects to the bus at {@code address} (a D-Bus address such as {@code unix:path=/run/dbus/system_bus_socket})
     * and checks that a systemd manager answers there.
     */
    public static DbusSystemd connect(String address, String description) {
        DBusConnection connection;
        try {
            connection = DBusConnectionBuilder.forAddress(address).withShared(false).build();
        } catch (DBusException | RuntimeException e) {
            throw new OrchestratorException(OrchestratorException.Reason.ENGINE_UNAVAILABLE,
                    "cannot connect to " + description + " at " + address + " (" + e.getMessage() + ")",
                    "is systemd running? Without it 1bit controls its processes directly", e);
        }
        try {
            SystemdManager manager = connection.getRemoteObject(SystemdManager.BUS_NAME, SystemdManager.OBJECT_PATH,
                    SystemdManager.class);
            DbusSystemd systemd = new DbusSystemd(connection, manager, description);
            // A bus without systemd on it (a plain dbus-daemon) fails here rather than on the first real call.
            systemd.unitProperty(SystemdManager.OBJECT_PATH, "org.freedesktop.systemd1.Manager", "Version");
            return systemd;
        } catch (DBusException | DBusExecutionException e) {
            closeQuietly(connection);
            throw new OrchestratorException(OrchestratorException.Reason.ENGINE_UNAVAILABLE,
                    "no systemd manager answers on " + description + " (" + e.getMessage() + ")",
                    "is systemd running? Without it 1bit controls its processes directly", e);
        }
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public Optional<UnitStatus> status(String unit) {
        try {
            try {
                manager.GetUnit(unit);
            } catch (DBusExecutionException e) {
                if (!noSuchUnit(e)) {
                    throw e;
                }
                // Not loaded right now: LoadUnit tells an installed, inactive unit from a missing one.
                manager.LoadUnit(unit);
            }
            String path = ObjectPaths.unit(unit);
            UnitStatus status = new UnitStatus(unit, unitProperty(path, SystemdManager.UNIT_INTERFACE, "LoadState"),
                    unitProperty(path, SystemdManager.UNIT_INTERFACE, "ActiveState"),
                    unitProperty(path, SystemdManager.UNIT_INTERFACE, "SubState"));
            return status.installed() ? Optional.of(status) : Optional.empty();
        } catch (DBusExecutionException e) {
            if (noSuchUnit(e)) {
                return Optional.empty();
            }
            throw failure("query " + unit, e);
        } catch (DBusException e) {
            throw failure("query " + unit, e);
        }
    }

    @Override
    public UnitStatus start(String unit, Duration timeout) {
        requireInstalled(unit);
        try {
            manager.StartUnit(unit, "replace");
        } catch (DBusExecutionException e) {
            throw failure("start " + unit, e);
        }
        return await(unit, timeout, true);
    }

    @Override
    public UnitStatus stop(String unit, Duration timeout) {
        requireInstalled(unit);
        try {
            manager.StopUnit(unit, "replace");
        } catch (DBusExecutionException e) {
            throw failure("stop " + unit, e);
        }
        return await(unit, timeout, false);
    }

    private static boolean noSuchUnit(DBusExecutionException e) {
        return SystemdManager.NO_SUCH_UNIT.equals(e.getType()) || SystemdManager.NO_SUCH_UNIT.equals(e.getClass().getName());
    }

    private void requireInstalled(String unit) {
        if (status(unit).isEmpty()) {
            throw OrchestratorException.notFound(description + " has no unit " + unit,
                    "install it with install.sh, or run without systemd");
        }
    }

    /** StartUnit and StopUnit only queue a job: wait for the state the caller asked for. */
    private UnitStatus await(String unit, Duration timeout, boolean active) {
        long deadline = System.nanoTime() + timeout.toNanos();
        UnitStatus last = status(unit).orElseThrow();
        while (System.nanoTime() < deadline) {
            if (active ? last.active() || last.activeState().equals("failed")
                    : last.activeState().equals("inactive") || last.activeState().equals("failed")) {
                break;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            last = status(unit).orElseThrow();
        }
        if (active && !last.active()) {
            throw new OrchestratorException(last.activeState().equals("failed") ? OrchestratorException.Reason.ENGINE_ERROR
                    : OrchestratorException.Reason.TIMEOUT, unit + " is " + last.activeState() + " (" + last.subState()
                    + ") after a start through " + description, "see why with `journalctl "
                    + (description.contains("--user") ? "--user " : "") + "-u " + unit + "`");
        }
        return last;
    }

    private String unitProperty(String path, String iface, String name) throws DBusException {
        Properties properties = connection.getRemoteObject(SystemdManager.BUS_NAME, path, Properties.class);
        Object value = properties.Get(iface, name);
        return String.valueOf(value instanceof org.freedesktop.dbus.types.Variant<?> v ? v.getValue() : value);
    }

    private OrchestratorException failure(String what, Exception e) {
        return new OrchestratorException(OrchestratorException.Reason.ENGINE_ERROR,
                "cannot " + what + " through " + description + " (" + e.getMessage() + ")",
                "see `systemctl " + (description.contains("--user") ? "--user " : "") + "status` for the manager's state", e);
    }

    @Override
    public void close() {
        closeQuietly(connection);
    }

    private static void closeQuietly(DBusConnection connection) {
        try {
            connection.close();
        } catch (IOException | RuntimeException ignored) {
            // nothing to do: the bus connection is going away anyway
        }
    }
}
