package systems.onebit.orchestrator.systemd;

import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.interfaces.DBusInterface;

/** The part of {@code org.freedesktop.systemd1.Manager} that 1bit calls (names as on the bus). */
@DBusInterfaceName("org.freedesktop.systemd1.Manager")
@SuppressWarnings("checkstyle:MethodName")
public interface SystemdManager extends DBusInterface {

    String BUS_NAME = "org.freedesktop.systemd1";
    String OBJECT_PATH = "/org/freedesktop/systemd1";
    String UNIT_INTERFACE = "org.freedesktop.systemd1.Unit";
    String NO_SUCH_UNIT = "org.freedesktop.systemd1.NoSuchUnit";

    DBusPath GetUnit(String name);

    DBusPath LoadUnit(String name);

    DBusPath StartUnit(String name, String mode);

    DBusPath StopUnit(String name, String mode);
}
