package org.freedesktop.systemd1;

import org.freedesktop.dbus.exceptions.DBusExecutionException;

/**
 * For the stand-in systemd only: dbus-java names a D-Bus error after the exception's class, so this class makes the
 * stand-in send the error name systemd sends for an unknown unit.
 */
public class NoSuchUnit extends DBusExecutionException {
    private static final long serialVersionUID = 1L;

    public NoSuchUnit(String message) {
        super(message);
    }
}
