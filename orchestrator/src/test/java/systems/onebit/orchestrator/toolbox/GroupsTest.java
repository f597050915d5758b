package systems.onebit.orchestrator.toolbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.engine.ContainerSpec;
import systems.onebit.orchestrator.host.HostPaths;
import systems.onebit.orchestrator.host.ProcessLimits;
import systems.onebit.orchestrator.host.ProcessLimits.Limit;
import systems.onebit.orchestrator.manifest.ManifestCatalog;
import systems.onebit.orchestrator.manifest.ToolboxManifest;

/** Which groups a toolbox container gets, rootless or not (rootful's numeric GIDs: ToolboxLifecycleIT on Podman). */
class GroupsTest {

    @TempDir
    Path root;

    private final ToolboxManifest radv = ManifestCatalog.load(Path.of("/nonexistent")).get("vulkan-radv");

    private List<String> groups(long uid) {
        ProcessLimits limits = new ProcessLimits(new Limit(-1, -1), new Limit(1024, 1024), new Limit(-1, -1), uid == 0,
                uid, List.of());
        return ContainerLimits.groupsFor(radv, List.of(), limits, new HostPaths(root));
    }

    @Test
    void rootlessWithCrunKeepsTheUsersOwnGroups() throws IOException {
        assertThat(groups(1000)).as("no crun: the image's named groups")
                .isEqualTo(radv.groups());
        Path crun = Files.createDirectories(root.resolve("usr/bin")).resolve("crun");
        Files.writeString(crun, "#!/bin/sh\n");
        Files.setPosixFilePermissions(crun, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(groups(1000)).containsExactly(ContainerSpec.KEEP_GROUPS);
        assertThat(groups(0)).as("rootful never keeps groups: it has them by number")
                .doesNotContain(ContainerSpec.KEEP_GROUPS);
    }
}
