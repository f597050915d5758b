package systems.onebit.orchestrator.host;

import java.nio.file.Path;

/**
 * Where the host's /dev, /sys, /proc and /etc are. Production uses the real root; tests point it at a fake tree.
 * Paths inside a container (for example {@code /dev/dri/renderD128}) are the host path relative to this root.
 */
public record HostPaths(Path root) {

    public static HostPaths real() {
        return new HostPaths(Path.of("/"));
    }

    /** The host path of an absolute path such as {@code /dev/kfd}. */
    public Path resolve(String absolute) {
        return root.resolve(absolute.startsWith("/") ? absolute.substring(1) : absolute);
    }

    public Path dev() {
        return resolve("/dev");
    }

    public Path sys() {
        return resolve("/sys");
    }

    public Path proc() {
        return resolve("/proc");
    }

    public Path etc() {
        return resolve("/etc");
    }

    /** The absolute in-host name of a path under this root, as a container sees it ({@code /dev/dri/renderD128}). */
    public String inHost(Path path) {
        return "/" + root.relativize(path).toString();
    }
}
