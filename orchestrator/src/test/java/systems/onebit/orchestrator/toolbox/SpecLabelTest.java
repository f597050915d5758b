package systems.onebit.orchestrator.toolbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import systems.onebit.orchestrator.engine.ContainerInfo;
import systems.onebit.orchestrator.engine.ContainerSpec;
import systems.onebit.orchestrator.engine.ContainerSpec.DeviceMapping;
import systems.onebit.orchestrator.engine.ContainerSpec.NamedVolume;
import systems.onebit.orchestrator.engine.ContainerSpec.ReadOnlyMount;
import systems.onebit.orchestrator.engine.ContainerSpec.Ulimit;

class SpecLabelTest {

    private final ContainerSpec spec = new ContainerSpec("tb", "img:1", List.of("llama-server", "--alias", "a \"quoted\" %s"),
            Map.of("HSA_OVERRIDE", "11.5.1"), Map.of(Labels.BACKEND, "tb"),
            List.of(new DeviceMapping("/dev/dri/renderD128", "/dev/dri/renderD128")), List.of("video", "4242"),
            List.of("seccomp=unconfined", "label=disable"), List.of(new Ulimit("memlock", -1, -1)),
            List.of(new ReadOnlyMount("/m", "/models")), true, List.of(new NamedVolume("data", "/data")));

    @Test
    void aContainerMadeFromTheAttachedSpecReadsBackAsThatSpec() {
        ContainerSpec attached = SpecLabel.attach(spec);
        assertThat(attached.labels()).containsKey(SpecLabel.KEY).containsEntry(Labels.BACKEND, "tb");
        ContainerInfo container = new ContainerInfo("id", "tb", "img:1", ContainerInfo.State.CREATED, "", attached.labels());
        assertThat(SpecLabel.read(container)).contains(spec);
    }

    @Test
    void aContainerWithoutTheLabelHasNoSpec() {
        ContainerInfo old = new ContainerInfo("id", "tb", "img:1", ContainerInfo.State.CREATED, "", Map.of(Labels.BACKEND, "tb"));
        assertThat(SpecLabel.read(old)).isEmpty();
        ContainerInfo broken = new ContainerInfo("id", "tb", "img:1", ContainerInfo.State.CREATED, "",
                Map.of(Labels.BACKEND, "tb", SpecLabel.KEY, "{not json"));
        assertThat(SpecLabel.read(broken)).isEmpty();
    }
}
