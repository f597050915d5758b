package systems.onebit.orchestrator.toolbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.engine.ContainerSpec;
import systems.onebit.orchestrator.engine.ContainerSpec.DeviceMapping;
import systems.onebit.orchestrator.engine.ContainerSpec.Ulimit;
import systems.onebit.orchestrator.host.HostPaths;
import systems.onebit.orchestrator.host.ProcessLimits;
import systems.onebit.orchestrator.manifest.ToolboxManifest;

/** What a toolbox container may use of the host: its supplementary groups and its resource limits. */
final class ContainerLimits {

    private ContainerLimits() {
    }

    /**
     * The manifest's groups (names, resolved in the image's group file) and, run as root, the numeric owner groups
     * of the device nodes passed through: on Debian and Ubuntu /dev/kfd and /dev/dri/renderD* are 0660 with the
     * host's video/render GIDs, which need not match the image's (Fedora's 0666 modes hide this). Rootless with
     * crun: the user's own groups, kept ({@link ContainerSpec#KEEP_GROUPS}).
     */
    static List<String> groupsFor(ToolboxManifest manifest, List<DeviceMapping> devices, ProcessLimits limits, HostPaths host) {
        if (limits.uid() != 0 && Stream.of("/usr/bin/crun", "/usr/local/bin/crun").map(host::resolve).anyMatch(Files::isExecutable)) {
            // Rootless: the image's video/render names map to no group of ours; crun can keep the user's own.
            return List.of(ContainerSpec.KEEP_GROUPS);
        }
        List<String> groups = new ArrayList<>(manifest.groups());
        if (limits.uid() == 0) {
            for (DeviceMapping d : devices) {
                try {
                    String gid = Files.getAttribute(Path.of(d.hostPath()), "unix:gid").toString();
                    if (!gid.equals("0") && !groups.contains(gid)) {
                        groups.add(gid);
                    }
                } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
                    // a node whose group cannot be read keeps only the named groups
                }
            }
        }
        return groups;
    }

    /**
     * The manifest's limits, plus nofile and nproc (Podman drops its configured defaults as soon as any ulimit is
     * given). Without CAP_SYS_RESOURCE no limit can be raised above this process's hard limit, so such a request
     * is capped and reported instead of failing inside the runtime.
     */
    static List<Ulimit> ulimitsFor(ToolboxManifest manifest, ProcessLimits limits, List<String> warnings) {
        Map<String, long[]> wanted = new LinkedHashMap<>();
        wanted.put("nofile", new long[] {limits.nofile().hard(), limits.nofile().hard()});
        wanted.put("nproc", new long[] {Math.min(32768, positive(limits.nproc().hard())), Math.min(32768, positive(limits.nproc().hard()))});
        manifest.ulimits().forEach((name, value) -> wanted.put(name, parseLimit(value)));
        List<Ulimit> out = new ArrayList<>();
        for (var entry : wanted.entrySet()) {
            long[] v = entry.getValue();
            if (!limits.canRaiseLimits()) {
                ProcessLimits.Limit current = switch (entry.getKey()) {
                    case "memlock" -> limits.memlock();
                    case "nofile" -> limits.nofile();
                    case "nproc" -> limits.nproc();
                    default -> new ProcessLimits.Limit(ProcessLimits.UNLIMITED, ProcessLimits.UNLIMITED);
                };
                if (current.hard() != ProcessLimits.UNLIMITED && (v[1] == ProcessLimits.UNLIMITED || v[1] > current.hard())) {
                    warnings.add(entry.getKey() + " limit capped at " + current.hard() + " (asked "
                            + (v[1] == -1 ? "unlimited" : v[1]) + "): without CAP_SYS_RESOURCE it cannot be raised; "
                            + "see `1bit doctor`");
                    v = new long[] {Math.min(positiveOr(v[0], current.hard()), current.hard()), current.hard()};
                }
            }
            out.add(new Ulimit(entry.getKey(), v[0], v[1]));
        }
        return out;
    }

    private static long positive(long v) {
        return v == ProcessLimits.UNLIMITED ? Long.MAX_VALUE : v;
    }

    private static long positiveOr(long v, long fallback) {
        return v == ProcessLimits.UNLIMITED ? fallback : v;
    }

    private static long[] parseLimit(String value) {
        if (value.equals("unlimited")) {
            return new long[] {ProcessLimits.UNLIMITED, ProcessLimits.UNLIMITED};
        }
        String[] parts = value.split(":");
        long soft = Long.parseLong(parts[0]);
        return new long[] {soft, parts.length > 1 ? Long.parseLong(parts[1]) : soft};
    }
}
