package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static systems.onebit.orchestrator.testing.PodmanTestService.podman;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.testing.PodmanTestService;
import systems.onebit.orchestrator.testing.TestImages;
import systems.onebit.orchestrator.testing.TinyGguf;

/**
 * `1bit toolbox build` against real Podman: a built flavor (its manifest names a Containerfile) is built from 1bit's
 * shipped build context (kernels/ with the llama.cpp patch series) and tagged with the manifest's image, and a
 * toolbox of it answers; before that, create refuses to pull it and says to build it; a failing step is exit 5.
 * The embedded rocm-7.14-ternary flavor is not built here: its base images and AMD's packages are on registries
 * this machine cannot reach (FlavorBuildsTest checks its Containerfile against the shipped context instead).
 */
class ToolboxBuildIT {

    @TempDir
    Path home;

    private Cli cli;
    private Path manifests;
    private final String suffix = UUID.randomUUID().toString().substring(0, 8);
    private final String image = "localhost/onebit-test/ternary-it:" + suffix;
    private final String box = "build-it-" + suffix;

    @BeforeEach
    void setUp() throws Exception {
        cli = new Cli(home).env("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString()).env("ONEBIT_SYSTEMD", "none");
        manifests = cli.configDir().resolve("toolbox-manifests");
        Path cpu = TestImages.cpuManifest(manifests);
        String base = TestImages.llamaServer();
        // The real llama-server test image as the base; the steps check that the shipped context arrived whole.
        flavor(cpu, "ternary-it", image, String.join("\n", "FROM " + base,
                "COPY kernels/llama.cpp/ /opt/onebit/llama.cpp/",
                "RUN test -s /opt/onebit/llama.cpp/series && for p in $(cat /opt/onebit/llama.cpp/series); "
                        + "do test -s /opt/onebit/llama.cpp/$p || exit 1; done && test -x /opt/onebit/llama.cpp/build.sh", ""));
        flavor(cpu, "broken-it", "localhost/onebit-test/broken-it:" + suffix, "FROM " + base + "\nRUN exit 3\n");
    }

    private void flavor(Path cpu, String name, String flavorImage, String containerfile) throws Exception {
        Files.writeString(manifests.resolve(name + ".yaml"), Files.readString(cpu).replace("flavor: cpu", "flavor: " + name)
                .replaceFirst("image: .*", "image: " + flavorImage + "\nbuild: " + name + ".Containerfile"));
        Files.writeString(manifests.resolve(name + ".Containerfile"), containerfile);
    }

    @AfterEach
    void tearDown() throws Exception {
        PodmanTestService.removeQuietly(box);
        PodmanTestService.podmanResult("rmi", "-f", image);
    }

    @Test
    void aBuiltFlavorIsBuiltFromTheShippedContextThenRuns() throws Exception {
        Path model = new TinyGguf().seed(5).context(256).write(Files.createDirectories(home.resolve("models")).resolve("m.gguf"));
        Cli.Result early = cli.run("toolbox", "create", box, "--flavor", "ternary-it", "--model", model.toString());
        assertThat(early.code()).as(early.toString()).isEqualTo(ExitCode.PRECONDITION.code());
        assertThat(early.err()).contains("built on this machine, not pulled", "1bit toolbox build ternary-it");

        Cli.Result built = cli.run("toolbox", "build", "ternary-it");
        assertThat(built.code()).as(built.toString()).isZero();
        assertThat(built.out()).contains("built " + image + " (flavor ternary-it)");
        assertThat(built.err()).contains("COPY kernels/llama.cpp/");
        assertThat(podman("image", "exists", image)).isEmpty();

        Cli.Result created = cli.run("toolbox", "create", box, "--flavor", "ternary-it", "--model", model.toString());
        assertThat(created.code()).as(created.toString()).isZero();
        assertThat(cli.run("toolbox", "start", box).code()).isZero();
        Cli.Result probe = cli.run("toolbox", "probe", box, "--timeout", "60");
        assertThat(probe.code()).as(probe.toString()).isZero();
    }

    @Test
    void aStepThatFailsIsExitFiveWithPodmansReason() {
        Cli.Result broken = cli.run("toolbox", "build", "broken-it");
        assertThat(broken.code()).as(broken.toString()).isEqualTo(ExitCode.PRECONDITION.code());
        assertThat(broken.err()).contains("building localhost/onebit-test/broken-it:" + suffix + " failed (");
        Cli.Result pulled = cli.run("toolbox", "build", "cpu");
        assertThat(pulled.code()).as("a pulled flavor is not built").isEqualTo(ExitCode.USAGE.code());
        assertThat(pulled.err()).contains("is pulled", "not built");
    }
}
