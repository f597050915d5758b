package systems.onebit.cli;

import java.nio.file.Path;
import java.util.Map;

/** 1bit's directories under the XDG base directories of {@code env} (a relative or empty variable is ignored). */
public record XdgPaths(Map<String, String> env) {

    public XdgPaths {
        env = Map.copyOf(env);
    }

    /** {@code $XDG_CONFIG_HOME/1bit}, by default {@code ~/.config/1bit}. */
    public Path config() {
        return base("XDG_CONFIG_HOME", ".config").resolve("1bit");
    }

    /** {@code $XDG_STATE_HOME/1bit}, by default {@code ~/.local/state/1bit}. */
    public Path state() {
        return base("XDG_STATE_HOME", ".local/state").resolve("1bit");
    }

    /** {@code $XDG_CACHE_HOME/1bit}, by default {@code ~/.cache/1bit}: only what can be rebuilt at any time. */
    public Path cache() {
        return base("XDG_CACHE_HOME", ".cache").resolve("1bit");
    }

    /** {@code $XDG_DATA_HOME/1bit}, by default {@code ~/.local/share/1bit}. */
    public Path data() {
        return base("XDG_DATA_HOME", ".local/share").resolve("1bit");
    }

    private Path base(String variable, String fallback) {
        String value = env.getOrDefault(variable, "");
        if (!value.isBlank() && Path.of(value).isAbsolute()) {
            return Path.of(value);
        }
        return Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), fallback);
    }
}
