package systems.onebit.orchestrator.systemd;

import java.nio.charset.StandardCharsets;

/** systemd's object paths for units: {@code /org/freedesktop/systemd1/unit/} + the escaped unit name. */
public final class ObjectPaths {

    public static final String UNIT_PREFIX = "/org/freedesktop/systemd1/unit/";

    private ObjectPaths() {
    }

    /**
     * Escapes as systemd's {@code bus_label_escape} does: ASCII letters stay, digits stay except in first place, every
     * other byte becomes {@code _} and two lower-case hex digits ({@code 1bit-proxy.service} →
     * {@code _31bit_2dproxy_2eservice}).
     */
    public static String escape(String label) {
        if (label.isEmpty()) {
            return "_";
        }
        StringBuilder out = new StringBuilder();
        byte[] bytes = label.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            boolean letter = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
            boolean digit = b >= '0' && b <= '9' && i > 0;
            if (letter || digit) {
                out.append((char) b);
            } else {
                out.append('_').append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 0xf, 16));
            }
        }
        return out.toString();
    }

    public static String unit(String unit) {
        return UNIT_PREFIX + escape(unit);
    }
}
