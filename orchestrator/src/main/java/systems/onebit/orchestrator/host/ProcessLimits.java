package systems.onebit.orchestrator.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Resource limits and capabilities of this process, read from {@code /proc/self/limits} and
 * {@code /proc/self/status}. A limit of {@link #UNLIMITED} means "unlimited".
 */
public record ProcessLimits(Limit memlock, Limit nofile, Limit nproc, boolean canRaiseLimits, long uid,
                            List<Long> activeGroups) {

    public static final long UNLIMITED = -1;
    private static final int CAP_SYS_RESOURCE = 24;

    public record Limit(long soft, long hard) {
        public boolean unlimited() {
            return soft == UNLIMITED && hard == UNLIMITED;
        }
    }

    public static ProcessLimits read(HostPaths host) {
        Path self = host.proc().resolve("self");
        List<String> limits = lines(self.resolve("limits"));
        List<String> status = lines(self.resolve("status"));
        long capEff = statusField(status, "CapEff:").map(v -> Long.parseUnsignedLong(v.trim(), 16)).orElse(0L);
        long uid = statusField(status, "Uid:").map(v -> Long.parseLong(v.trim().split("\\s+")[1])).orElse(-1L);
        List<Long> groups = statusField(status, "Groups:")
                .map(v -> v.isBlank() ? List.<Long>of()
                        : java.util.Arrays.stream(v.trim().split("\\s+")).map(Long::parseLong).toList())
                .orElse(List.of());
        return new ProcessLimits(
                limit(limits, "Max locked memory"),
                limit(limits, "Max open files"),
                limit(limits, "Max processes"),
                (capEff & (1L << CAP_SYS_RESOURCE)) != 0,
                uid,
                groups);
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
    }

    private static Optional<String> statusField(List<String> status, String key) {
        return status.stream().filter(l -> l.startsWith(key)).findFirst().map(l -> l.substring(key.length()));
    }

    private static Limit limit(List<String> limits, String name) {
        for (String line : limits) {
            if (line.startsWith(name)) {
                String[] parts = line.substring(name.length()).trim().split("\\s+");
                if (parts.length >= 2) {
                    return new Limit(parse(parts[0]).orElse(UNLIMITED), parse(parts[1]).orElse(UNLIMITED));
                }
            }
        }
        return new Limit(UNLIMITED, UNLIMITED);
    }

    private static OptionalLong parse(String value) {
        if (value.equals("unlimited")) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(value));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
