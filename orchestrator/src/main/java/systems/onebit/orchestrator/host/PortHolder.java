package systems.onebit.orchestrator.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Which program listens on a TCP port, read from {@code /proc} the way {@code ss -ltnp} does: the listening
 * sockets' inodes from {@code net/tcp} and {@code net/tcp6}, then the process holding one of them among
 * {@code /proc/PID/fd}. Processes of other users are only visible to root; then nothing is found.
 */
public final class PortHolder {

    private static final String LISTEN = "0A";

    private final Path proc;

    public PortHolder(Path proc) {
        this.proc = proc;
    }

    public static PortHolder real() {
        return new PortHolder(Path.of("/proc"));
    }

    /** {@code name (pid N)} of a process listening on {@code port}; empty when none is visible. */
    public Optional<String> find(int port) {
        Set<String> sockets = new HashSet<>();
        for (String table : List.of("net/tcp", "net/tcp6")) {
            sockets.addAll(listening(proc.resolve(table), port));
        }
        if (sockets.isEmpty()) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, p -> p.getFileName().toString().matches("[0-9]+"))) {
            for (Path pid : pids) {
                if (holds(pid, sockets)) {
                    String name = Files.readString(pid.resolve("comm"), StandardCharsets.UTF_8).strip();
                    return Optional.of(name + " (pid " + pid.getFileName() + ")");
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** The inodes ({@code socket:[N]}) of sockets listening on {@code port} in one {@code /proc/net} table. */
    private static Set<String> listening(Path table, int port) {
        Set<String> inodes = new HashSet<>();
        String hexPort = String.format(Locale.ROOT, ":%04X", port);
        try {
            for (String line : Files.readAllLines(table, StandardCharsets.US_ASCII)) {
                String[] f = line.trim().split("\\s+");
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                if (f.length > 9 && f[1].endsWith(hexPort) && f[3].equals(LISTEN)) {
                    inodes.add("socket:[" + f[9] + "]");
                }
            }
        } catch (IOException e) {
            // no such table (no IPv6): nothing listens there
        }
        return inodes;
    }

    private static boolean holds(Path pid, Set<String> sockets) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(pid.resolve("fd"))) {
            for (Path fd : fds) {
                try {
                    if (sockets.contains(Files.readSymbolicLink(fd).toString())) {
                        return true;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException | SecurityException e) {
            // another user's process, or gone
        }
        return false;
    }
}
