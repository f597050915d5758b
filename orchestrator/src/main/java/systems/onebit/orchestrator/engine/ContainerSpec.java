package systems.onebit.orchestrator.engine;

import java.util.List;
import java.util.Map;

/**
 * What to create. Containers always run with an init process (so they stop promptly).
 *
 * @param entrypoint the full command, replacing the image's own entrypoint; empty: the image's entrypoint and command
 * @param devices    host device path to container path
 * @param mounts     host path to container path, read-only
 * @param volumes    named volumes, read-write, created when missing
 */
public record ContainerSpec(String name, String image, List<String> entrypoint, Map<String, String> environment,
                            Map<String, String> labels, List<DeviceMapping> devices, List<String> groups,
                            List<String> securityOpt, List<Ulimit> ulimits, List<ReadOnlyMount> mounts,
                            boolean hostNetwork, List<NamedVolume> volumes) {

    /**
     * In {@code groups}: keep the calling user's own supplementary groups (rootless Podman with crun), as Podman's
     * {@code --group-add keep-groups}; no other group may be given with it.
     */
    public static final String KEEP_GROUPS = "keep-groups";

    public ContainerSpec {
        entrypoint = List.copyOf(entrypoint);
        environment = Map.copyOf(environment);
        labels = Map.copyOf(labels);
        devices = List.copyOf(devices);
        groups = List.copyOf(groups);
        securityOpt = List.copyOf(securityOpt);
        ulimits = List.copyOf(ulimits);
        mounts = List.copyOf(mounts);
        volumes = List.copyOf(volumes);
    }

    /** Without named volumes: a toolbox keeps nothing of its own. */
    public ContainerSpec(String name, String image, List<String> entrypoint, Map<String, String> environment,
                         Map<String, String> labels, List<DeviceMapping> devices, List<String> groups,
                         List<String> securityOpt, List<Ulimit> ulimits, List<ReadOnlyMount> mounts, boolean hostNetwork) {
        this(name, image, entrypoint, environment, labels, devices, groups, securityOpt, ulimits, mounts, hostNetwork,
                List.of());
    }

    public record DeviceMapping(String hostPath, String containerPath) {
    }

    /** A resource limit; -1 means unlimited. */
    public record Ulimit(String name, long soft, long hard) {
    }

    public record ReadOnlyMount(String hostPath, String containerPath) {
    }

    /** A Podman volume by name, read-write: data that outlives the container (Open WebUI's chats and users). */
    public record NamedVolume(String name, String containerPath) {
    }
}
