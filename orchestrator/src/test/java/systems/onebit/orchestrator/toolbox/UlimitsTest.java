package systems.onebit.orchestrator.toolbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import systems.onebit.orchestrator.engine.ContainerSpec.Ulimit;
import systems.onebit.orchestrator.host.ProcessLimits;
import systems.onebit.orchestrator.host.ProcessLimits.Limit;
import systems.onebit.orchestrator.manifest.ManifestCatalog;

class UlimitsTest {

    private final ManifestCatalog catalog = ManifestCatalog.load(Path.of("/nonexistent"));

    @Test
    void withCapSysResourceMemlockIsUnlimitedAndNofileNprocAreExplicit() {
        ProcessLimits limits = new ProcessLimits(new Limit(8 << 20, 8 << 20), new Limit(1024, 524288),
                new Limit(-1, -1), true, 0, List.of());
        List<String> warnings = new ArrayList<>();
        List<Ulimit> ulimits = ContainerLimits.ulimitsFor(catalog.get("rocm-7.2.2"), limits, warnings);
        assertThat(ulimits).containsExactly(new Ulimit("nofile", 524288, 524288), new Ulimit("nproc", 32768, 32768),
                new Ulimit("memlock", -1, -1));
        assertThat(warnings).isEmpty();
    }

    @Test
    void withoutCapSysResourceMemlockIsCappedAndSaid() {
        ProcessLimits limits = new ProcessLimits(new Limit(8 << 20, 8 << 20), new Limit(20000, 20000),
                new Limit(-1, -1), false, 0, List.of());
        List<String> warnings = new ArrayList<>();
        List<Ulimit> ulimits = ContainerLimits.ulimitsFor(catalog.get("vulkan-radv"), limits, warnings);
        assertThat(ulimits).contains(new Ulimit("memlock", 8 << 20, 8 << 20), new Ulimit("nofile", 20000, 20000));
        assertThat(warnings).singleElement().asString().contains("memlock limit capped at 8388608", "CAP_SYS_RESOURCE");
    }
}
