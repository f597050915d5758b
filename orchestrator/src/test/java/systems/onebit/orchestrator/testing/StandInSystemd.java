package systems.onebit.orchestrator.testing;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.Variant;
import systems.onebit.orchestrator.systemd.SystemdManager;

/**
 * STAND-IN for systemd's {@code org.freedesktop.systemd1} Manager (systemd cannot run here: PID 1 is not systemd),
 * exported on a real dbus-daemon. Units and their object paths are given by the test, written out literally, so a
 * client that escapes a unit name differently from systemd does not find the unit object. StartUnit and StopUnit
 * flip ActiveState and record the call.
 */
public final class StandInSystemd implements SystemdManager, Properties, AutoCloseable {

    private final DBusConnection connection;
    private final Map<String, String> paths;
    private final Map<String, String> states = new ConcurrentHashMap<>();
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final Map<String, Runnable> onStart = new ConcurrentHashMap<>();
    private final Map<String, Runnable> onStop = new ConcurrentHashMap<>();

    /** @param units unit name to the object path systemd would give it */
    public StandInSystemd(String busAddress, Map<String, String> units) throws DBusException {
        this.paths = Map.copyOf(units);
        units.keySet().forEach(u -> states.put(u, "inactive"));
        connection = DBusConnectionBuilder.forAddress(busAddress).withShared(false).build();
        connection.requestBusName(BUS_NAME);
        connection.exportObject(OBJECT_PATH, this);
        for (Map.Entry<String, String> unit : paths.entrySet()) {
            connection.exportObject(unit.getValue(), new UnitObject(unit.getKey(), unit.getValue()));
        }
    }

    /** What the stand-in does when asked to start or stop {@code unit} (systemd would run ExecStart / stop it). */
    public StandInSystemd on(String unit, Runnable start, Runnable stop) {
        onStart.put(unit, start);
        onStop.put(unit, stop);
        return this;
    }

    public List<String> calls() {
        return List.copyOf(calls);
    }

    public String state(String unit) {
        return states.getOrDefault(unit, "absent");
    }

    @Override
    public DBusPath GetUnit(String name) {
        calls.add("GetUnit " + name);
        return path(name);
    }

    @Override
    public DBusPath LoadUnit(String name) {
        calls.add("LoadUnit " + name);
        return path(name);
    }

    @Override
    public DBusPath StartUnit(String name, String mode) {
        calls.add("StartUnit " + name + " " + mode);
        path(name);
        onStart.getOrDefault(name, () -> { }).run();
        states.put(name, "active");
        return new DBusPath("/org/freedesktop/systemd1/job/1");
    }

    @Override
    public DBusPath StopUnit(String name, String mode) {
        calls.add("StopUnit " + name + " " + mode);
        path(name);
        onStop.getOrDefault(name, () -> { }).run();
        states.put(name, "inactive");
        return new DBusPath("/org/freedesktop/systemd1/job/2");
    }

    private DBusPath path(String name) {
        String path = paths.get(name);
        if (path == null) {
            throw new org.freedesktop.systemd1.NoSuchUnit("Unit " + name + " not found.");
        }
        return new DBusPath(path);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <A> A Get(String iface, String property) {
        if (property.equals("Version")) {
            return (A) new Variant<>("257-stand-in");
        }
        throw new DBusExecutionException("no property " + iface + "." + property);
    }

    @Override
    public <A> void Set(String iface, String property, A value) {
        throw new DBusExecutionException("read-only");
    }

    @Override
    public Map<String, Variant<?>> GetAll(String iface) {
        return Map.of("Version", new Variant<>("257-stand-in"));
    }

    @Override
    public String getObjectPath() {
        return OBJECT_PATH;
    }

    @Override
    public void close() throws IOException {
        connection.close();
    }

    private final class UnitObject implements Properties {
        private final String unit;
        private final String path;

        UnitObject(String unit, String path) {
            this.unit = unit;
            this.path = path;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <A> A Get(String iface, String property) {
            return (A) new Variant<>(switch (property) {
                case "LoadState" -> "loaded";
                case "ActiveState" -> states.get(unit);
                case "SubState" -> states.get(unit).equals("active") ? "running" : "dead";
                case "Id" -> unit;
                default -> throw new DBusExecutionException("no property " + iface + "." + property);
            });
        }

        @Override
        public <A> void Set(String iface, String property, A value) {
            throw new DBusExecutionException("read-only");
        }

        @Override
        public Map<String, Variant<?>> GetAll(String iface) {
            return Map.of("ActiveState", new Variant<>(states.get(unit)));
        }

        @Override
        public String getObjectPath() {
            return path;
        }
    }
}
