package systems.onebit.orchestrator.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.OrchestratorException.Reason;

/** The behaviour every {@link ContainerEngine} implementation must have (one abstract test per port). */
public abstract class ContainerEngineContract {

    /** The engine under test; the same instance for the whole test. */
    protected abstract ContainerEngine engine();

    /** An image with busybox's sh, sleep and cat that the engine can run without pulling. */
    protected abstract String image();

    /** Called after each test with the names it created. */
    protected abstract void cleanUp(List<String> names);

    private final String prefix = "contract-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    private final List<String> created = new ArrayList<>();

    @AfterEach
    void removeCreated() {
        cleanUp(created);
    }

    private ContainerSpec spec(String name, List<String> command, Map<String, String> labels) {
        created.add(name);
        return new ContainerSpec(name, image(), command, Map.of("GREETING", "hello"), labels, List.of(), List.of(),
                List.of(), List.of(), List.of(), true);
    }

    private String name(String suffix) {
        return prefix + suffix;
    }

    @Test
    void createsAContainerThatIsNotYetRunning() {
        ContainerInfo info = engine().create(spec(name("a"), List.of("sleep", "600"), Map.of("test.key", "v1")));
        assertThat(info.name()).isEqualTo(name("a"));
        assertThat(info.state()).isEqualTo(ContainerInfo.State.CREATED);
        assertThat(info.labels()).containsEntry("test.key", "v1");
        assertThat(engine().inspect(name("a"))).get().extracting(ContainerInfo::id).isEqualTo(info.id());
    }

    @Test
    void startExecStopRemove() {
        engine().create(spec(name("b"), List.of("sleep", "600"), Map.of()));
        engine().start(name("b"));
        engine().start(name("b"));
        assertThat(engine().inspect(name("b")).orElseThrow().state()).isEqualTo(ContainerInfo.State.RUNNING);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = engine().exec(name("b"), List.of("sh", "-c", "echo $GREETING; echo oops >&2; exit 3"), out, err);
        assertThat(code).isEqualTo(3);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hello\n");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("oops\n");
        long start = System.nanoTime();
        engine().stop(name("b"), Duration.ofSeconds(10));
        // An init process forwards SIGTERM, so sleep ends at once instead of waiting for the kill.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
        assertThat(engine().inspect(name("b")).orElseThrow().state()).isEqualTo(ContainerInfo.State.EXITED);
        engine().stop(name("b"), Duration.ofSeconds(1));
        engine().remove(name("b"), false);
        assertThat(engine().inspect(name("b"))).isEmpty();
    }

    @Test
    void listFiltersByLabelKeyAndValue() {
        engine().create(spec(name("c1"), List.of("sleep", "600"), Map.of(prefix + "mark", "x")));
        engine().create(spec(name("c2"), List.of("sleep", "600"), Map.of(prefix + "mark", "y")));
        engine().create(spec(name("c3"), List.of("sleep", "600"), Map.of()));
        assertThat(engine().list(Map.of(prefix + "mark", ""))).extracting(ContainerInfo::name)
                .containsExactlyInAnyOrder(name("c1"), name("c2"));
        assertThat(engine().list(Map.of(prefix + "mark", "y"))).extracting(ContainerInfo::name)
                .containsExactly(name("c2"));
    }

    @Test
    @Timeout(60)  // a log stream that never ends fails here instead of stalling the build
    void logsCopyTheContainersOutput() {
        engine().create(spec(name("d"), List.of("sh", "-c", "echo out-line; echo err-line >&2"), Map.of()));
        engine().start(name("d"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        engine().logs(name("d"), true, out, err);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("out-line\n");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("err-line\n");
    }

    @Test
    @Timeout(60)
    void followingLogsEndsWhenTheContainerExits() {
        engine().create(spec(name("f"), List.of("sh", "-c", "echo first; sleep 2; echo last"), Map.of()));
        engine().start(name("f"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        engine().logs(name("f"), true, out, new ByteArrayOutputStream());
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("first\nlast\n");
    }

    @Test
    void aNameInUseIsAConflict() {
        engine().create(spec(name("e"), List.of("sleep", "600"), Map.of()));
        assertThatThrownBy(() -> engine().create(spec(name("e"), List.of("sleep", "600"), Map.of())))
                .isInstanceOfSatisfying(OrchestratorException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CONFLICT));
    }

    @Test
    void removingARunningContainerNeedsForce() {
        engine().create(spec(name("f"), List.of("sleep", "600"), Map.of()));
        engine().start(name("f"));
        assertThatThrownBy(() -> engine().remove(name("f"), false))
                .isInstanceOfSatisfying(OrchestratorException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CONFLICT));
        engine().remove(name("f"), true);
        assertThat(engine().inspect(name("f"))).isEmpty();
    }

    @Test
    void unknownContainersAreNotFound() {
        assertThat(engine().inspect(name("missing"))).isEmpty();
        for (Runnable call : List.<Runnable>of(() -> engine().start(name("missing")),
                () -> engine().stop(name("missing"), Duration.ofSeconds(1)), () -> engine().remove(name("missing"), true))) {
            assertThatThrownBy(call::run).isInstanceOfSatisfying(OrchestratorException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND));
        }
    }

    @Test
    void pullingAnImageThatCannotBeFetchedIsAPrecondition() {
        List<String> progress = new ArrayList<>();
        assertThatThrownBy(() -> engine().pull("localhost/onebit-test/absent:" + prefix.substring(9, 17), progress::add))
                .isInstanceOfSatisfying(OrchestratorException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.PRECONDITION);
                    assertThat(e.getMessage()).startsWith("cannot pull image localhost/onebit-test/absent:");
                });
    }

    @Test
    void buildsAnImageFromAContainerfileAndItsContext(@TempDir Path context) throws Exception {
        Files.writeString(context.resolve("greeting.txt"), "hello from the context\n");
        Files.writeString(context.resolve("Test.Containerfile"), "FROM " + image() + "\nCOPY greeting.txt /greeting.txt\n");
        String tag = "localhost/onebit-test/built:" + prefix.substring(9, 17);
        List<String> progress = new ArrayList<>();
        engine().build(context, "Test.Containerfile", tag, progress::add);
        assertThat(engine().imageExists(tag)).isTrue();
        assertThat(progress).isNotEmpty();
        ContainerInfo built = engine().create(new ContainerSpec(name("built"), tag, List.of("sleep", "600"), Map.of(),
                Map.of(), List.of(), List.of(), List.of(), List.of(), List.of(), true));
        created.add(name("built"));
        assertThat(built.image()).contains("onebit-test/built");
    }

    @Test
    void aBuildStepThatFailsIsAPrecondition(@TempDir Path context) throws Exception {
        Files.writeString(context.resolve("Containerfile"), "FROM " + image() + "\nCOPY missing.txt /missing.txt\n");
        String tag = "localhost/onebit-test/unbuilt:" + prefix.substring(9, 17);
        assertThatThrownBy(() -> engine().build(context, "Containerfile", tag, line -> { }))
                .isInstanceOfSatisfying(OrchestratorException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.PRECONDITION);
                    assertThat(e.getMessage()).startsWith("building " + tag + " failed (").contains("missing.txt");
                });
        assertThat(engine().imageExists(tag)).isFalse();
    }

    @Test
    void imagesAreKnownOrNot() {
        assertThat(engine().imageExists(image())).isTrue();
        assertThat(engine().imageExists("localhost/onebit-test/absent:" + prefix.substring(9, 17))).isFalse();
    }
}
