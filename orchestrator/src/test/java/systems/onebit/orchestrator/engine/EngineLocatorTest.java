package systems.onebit.orchestrator.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.host.HostPaths;
import systems.onebit.orchestrator.testing.PodmanTestService;

class EngineLocatorTest {

    @TempDir
    Path dir;

    @Test
    void firstAnsweringCandidateWinsAndDeadOnesAreSkippedWithTheirReason() throws IOException {
        Path stale = Files.createFile(dir.resolve("stale.sock"));
        Map<String, String> env = Map.of("CONTAINER_HOST", "unix://" + stale, "DOCKER_HOST",
                PodmanTestService.socket().toString(), "PATH", "/nonexistent");
        try (PodmanEngine engine = EngineLocator.standard(env, new HostPaths(dir), dir).locate()) {
            assertThat(engine.endpoint()).isEqualTo(PodmanTestService.socket());
            assertThat(engine.isPrivateService()).isFalse();
            assertThat(engine.describe()).isEqualTo("podman socket at " + PodmanTestService.socket());
        }
    }

    @Test
    void noSocketAndNoPodmanSaysWhatWasTriedAndWhatToDo() {
        Map<String, String> env = Map.of("CONTAINER_HOST", "unix://" + dir.resolve("gone.sock"), "PATH", dir.toString());
        assertThatThrownBy(() -> EngineLocator.standard(env, new HostPaths(dir), dir).locate())
                .isInstanceOfSatisfying(OrchestratorException.class, e -> {
                    assertThat(e.reason()).isEqualTo(OrchestratorException.Reason.ENGINE_UNAVAILABLE);
                    assertThat(e.getMessage()).contains("podman is not installed");
                    assertThat(e.hint()).contains("install Podman");
                });
    }

    @Test
    void withNoSocketAPrivateServiceIsStartedAndStoppedOnClose() {
        Map<String, String> env = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin");
        Path socket;
        try (PodmanEngine engine = EngineLocator.standard(env, new HostPaths(dir), dir.resolve("state")).locate()) {
            assertThat(engine.isPrivateService()).isTrue();
            socket = Path.of(engine.endpoint().getPath());
            assertThat(socket).startsWith(dir.resolve("state")).exists();
            assertThat(engine.imageExists("localhost/onebit-test/busybox:1")).isTrue();
        }
        assertThat(socket).doesNotExist();
        assertThat(dir.resolve("state")).doesNotExist();
    }

    @Test
    void anExplicitDeadSocketIsUnavailable() throws IOException {
        Path stale = Files.createFile(dir.resolve("dead.sock"));
        assertThatThrownBy(() -> EngineLocator.only(java.net.URI.create("unix://" + stale)).locate())
                .isInstanceOfSatisfying(OrchestratorException.class, e -> {
                    assertThat(e.reason()).isEqualTo(OrchestratorException.Reason.ENGINE_UNAVAILABLE);
                    assertThat(e.getMessage()).contains(stale.toString(), "does not answer");
                });
    }

    @Test
    void findsPodmanOnPath() {
        assertThat(EngineLocator.findPodman(Map.of("PATH", "/nonexistent:/usr/bin"))).isEqualTo(Optional.of(Path.of("/usr/bin/podman")));
        assertThat(EngineLocator.findPodman(Map.of("PATH", "/nonexistent"))).isEmpty();
    }
}
