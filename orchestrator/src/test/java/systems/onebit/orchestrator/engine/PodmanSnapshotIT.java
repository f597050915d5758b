package systems.onebit.orchestrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import systems.onebit.orchestrator.testing.PodmanTestService;
import systems.onebit.orchestrator.testing.TestImages;

/** The direct socket listing agrees with the docker-java adapter on real Podman. */
class PodmanSnapshotIT {

    @Test
    void listsWhatTheAdapterListsWithLabelsAndState() throws Exception {
        String labelled = "snap-" + UUID.randomUUID().toString().substring(0, 8);
        String other = "snap-other-" + UUID.randomUUID().toString().substring(0, 8);
        URI socket = PodmanTestService.socket();
        try {
            PodmanTestService.podman("run", "-d", "--init", "--name", labelled, "--label", "systems.onebit.backend=" + labelled,
                    "--label", "systems.onebit.port=4242", TestImages.BASE, "sleep", "600");
            PodmanTestService.podman("create", "--name", other, TestImages.BASE, "true");
            List<ContainerInfo> snapshot = PodmanSnapshot.list(List.of(URI.create("unix:///nonexistent.sock"), socket),
                    Map.of("systems.onebit.backend", ""), Duration.ofSeconds(5)).orElseThrow();
            try (PodmanEngine engine = PodmanEngine.connect(socket, Duration.ofSeconds(5))) {
                List<ContainerInfo> adapter = engine.list(Map.of("systems.onebit.backend", ""));
                assertThat(snapshot).extracting(ContainerInfo::name).containsExactlyInAnyOrderElementsOf(
                        adapter.stream().map(ContainerInfo::name).toList());
            }
            ContainerInfo mine = snapshot.stream().filter(c -> c.name().equals(labelled)).findFirst().orElseThrow();
            assertThat(mine.state()).isEqualTo(ContainerInfo.State.RUNNING);
            assertThat(mine.label("systems.onebit.port")).isEqualTo("4242");
            assertThat(snapshot).extracting(ContainerInfo::name).doesNotContain(other);
            assertThat(PodmanSnapshot.list(List.of(URI.create("unix:///nonexistent.sock")), Map.of(), Duration.ofSeconds(1)))
                    .isEmpty();
        } finally {
            PodmanTestService.removeQuietly(labelled, other);
        }
    }
}
