package systems.onebit.orchestrator.toolbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.OrchestratorException.Reason;
import systems.onebit.orchestrator.manifest.ManifestCatalog;
import systems.onebit.orchestrator.testing.InMemoryEngine;

/**
 * The built flavor rocm-7.14-ternary as far as this machine allows: its Containerfile, built by the in-memory engine
 * (a stand-in that checks the base images and that every COPY source is in the context, and runs no step), finds
 * all it copies in the context 1bit ships; the context holds the whole patch series and the scripts the RUN step
 * calls. Its real build (Fedora base images, AMD's ROCm packages, a gfx1151 compile) needs registries and a ROCm
 * SDK this machine has not got.
 */
class FlavorBuildsTest {

    private static final String FLAVOR = "rocm-7.14-ternary";

    @Test
    void theTernaryFlavorsContainerfileFindsEverythingItCopiesInTheShippedContext(@TempDir Path config) {
        InMemoryEngine engine = new InMemoryEngine(Set.of("registry.fedoraproject.org/fedora:44",
                "registry.fedoraproject.org/fedora-minimal:44"));
        List<String> progress = new ArrayList<>();
        String image = new FlavorBuilds(() -> ManifestCatalog.load(config), engine).build(FLAVOR, progress::add);
        assertThat(image).isEqualTo("localhost/1bit/llama-ternary:rocm-7.14");
        assertThat(engine.imageExists(image)).isTrue();
        assertThat(progress).anySatisfy(l -> assertThat(l).contains("COPY kernels/ /opt/onebit/kernels/"))
                .anySatisfy(l -> assertThat(l).contains("bash /opt/onebit/kernels/llama.cpp/build.sh hip /opt/build"));
    }

    @Test
    void theShippedContextHoldsTheSeriesAndWhatTheBuildRuns(@TempDir Path dir) throws Exception {
        List<String> files = BuildContext.writeTo(dir).stream().map(Path::toString).toList();
        List<String> series = Files.readAllLines(dir.resolve("kernels/llama.cpp/series"));
        assertThat(series).isNotEmpty();
        series.forEach(patch -> assertThat(files).contains("kernels/llama.cpp/" + patch));
        assertThat(files).contains("kernels/llama.cpp/build.sh", "kernels/llama.cpp/apply.sh", "kernels/src/gemv.cu",
                "kernels/src/quantize_activations.cu", "kernels/src/dequantize.cu", "kernels/src/reference.cpp",
                "kernels/include/onebit/kernels.hpp");
        // The same files as the repository's (the jar carries no stale copy).
        for (String file : files) {
            assertThat(dir.resolve(file)).hasSameBinaryContentAs(Path.of("..").resolve(file));
        }
    }

    @Test
    void aBaseImageThatIsNotThereFailsTheBuild(@TempDir Path config) {
        InMemoryEngine engine = new InMemoryEngine(Set.of());
        assertThatThrownBy(() -> new FlavorBuilds(() -> ManifestCatalog.load(config), engine).build(FLAVOR, l -> { }))
                .isInstanceOfSatisfying(OrchestratorException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.PRECONDITION);
                    assertThat(e.getMessage()).contains("registry.fedoraproject.org/fedora:44");
                });
        assertThat(engine.imageExists("localhost/1bit/llama-ternary:rocm-7.14")).isFalse();
    }

    @Test
    void aBuiltFlavorsImageIsLocalAndItsContainerfileNamed(@TempDir Path config) throws Exception {
        Path dir = Files.createDirectories(config.resolve("toolbox-manifests"));
        String manifest = Files.readString(Path.of("../toolbox-manifests/" + FLAVOR + ".yaml"));
        Path registry = Files.writeString(dir.resolve(FLAVOR + ".yaml"),
                manifest.replace("localhost/1bit/llama-ternary:rocm-7.14", "docker.io/someone/ternary:1"));
        assertThatThrownBy(() -> ManifestCatalog.parseFile(registry)).isInstanceOfSatisfying(OrchestratorException.class,
                e -> assertThat(e.getMessage()).contains("field 'image'", "built here"));
        Files.writeString(registry, manifest.replace("build: rocm-7.14-ternary.Containerfile", "build: ../../etc/passwd"));
        assertThatThrownBy(() -> ManifestCatalog.parseFile(registry)).isInstanceOfSatisfying(OrchestratorException.class,
                e -> assertThat(e.getMessage()).contains("field 'build'", "not a Containerfile's name"));
    }
}
