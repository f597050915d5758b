package systems.onebit.orchestrator.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.OrchestratorException;

class ManifestCatalogTest {

    @TempDir
    Path userDir;

    @Test
    void embeddedListMatchesTheToolboxManifestsDirectory() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("../toolbox-manifests"))) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).map(n -> n.replace(".yaml", "")))
                    .containsExactlyInAnyOrderElementsOf(ManifestCatalog.EMBEDDED);
        }
    }

    @Test
    void embeddedManifestsLoadWithTheirPassthrough() {
        ManifestCatalog catalog = ManifestCatalog.load(userDir);
        assertThat(catalog.all()).extracting(ToolboxManifest::flavor)
                .containsExactly("vulkan-radv", "rocm-7.14", "vulkan-amdvlk", "rocm-6.4.4", "therock-nightly", "rocm-7.2.2",
                        "rocm-7.14-ternary", "cpu");
        assertThat(catalog.get("rocm-7.14-ternary").containerfile()).contains("rocm-7.14-ternary.Containerfile");
        assertThat(catalog.get("rocm-7.14").containerfile()).as("pulled, not built").isEmpty();
        ToolboxManifest rocm = catalog.get("rocm-7.14");
        assertThat(rocm.image()).isEqualTo("docker.io/kyuz0/amd-strix-halo-toolboxes:rocm-7.14");
        assertThat(rocm.summary()).startsWith("Recommended ROCm");
        assertThat(rocm.devices()).containsExactly("/dev/dri", "/dev/kfd");
        assertThat(rocm.groups()).containsExactly("video", "render");
        assertThat(rocm.ulimits()).containsEntry("memlock", "unlimited");
        assertThat(catalog.get("rocm-7.2.2").summary()).startsWith("Legacy");
        assertThat(catalog.get("therock-nightly").summary()).startsWith("Experimental");
        for (ToolboxManifest m : catalog.all()) {
            // Fedora's SELinux would deny the model mount (kyuz0's images run with labels off, as Toolbx does); the
            // images stopped needing ROCBLAS_USE_HIPBLASLT.
            assertThat(m.securityOpt()).as(m.flavor()).contains("label=disable");
            assertThat(m.environment()).as(m.flavor()).doesNotContainKey("ROCBLAS_USE_HIPBLASLT");
            // The load flag the image's llama.cpp takes: --load-mode since July 2026, --no-mmap before.
            assertThat(m.command()).as(m.flavor()).containsAnyOf("--load-mode", "--no-mmap");
        }
        assertThat(catalog.get("rocm-7.2.2").command()).contains("--no-mmap").doesNotContain("--load-mode");
        ToolboxManifest radv = catalog.get("vulkan-radv");
        assertThat(radv.devices()).containsExactly("/dev/dri");
        assertThat(radv.groups()).containsExactly("video");
        assertThat(radv.commandFor("127.0.0.1", 13305, "/models/m.gguf")).containsExactly(
                "llama-server", "--host", "127.0.0.1", "--port", "13305", "-m", "/models/m.gguf", "-c", "8192",
                "-ngl", "999", "-fa", "1", "--load-mode", "none");
        assertThat(radv.healthPath()).isEqualTo("/health");
        assertThat(radv.modelMount()).isEqualTo("/models");
        assertThat(catalog.get("cpu").devices()).isEmpty();
        assertThat(catalog.get("cpu").usesGpu()).isFalse();
    }

    @Test
    void unknownFlavorNamesTheChoices() {
        assertThatThrownBy(() -> ManifestCatalog.load(userDir).get("vulkan"))
                .isInstanceOf(OrchestratorException.class)
                .hasMessageContaining("unknown flavor 'vulkan'")
                .satisfies(e -> assertThat(((OrchestratorException) e).hint()).contains("vulkan-radv", "rocm-7.2.2"));
    }

    @Test
    void userManifestOverridesAndAdds() throws IOException {
        String radv = Files.readString(Path.of("../toolbox-manifests/vulkan-radv.yaml"));
        Files.writeString(userDir.resolve("vulkan-radv.yaml"), radv.replace("kyuz0/amd-strix-halo-toolboxes:vulkan-radv", "me/mine:1"));
        Files.writeString(userDir.resolve("my-build.yaml"), radv.replace("flavor: vulkan-radv", "flavor: my-build"));
        ManifestCatalog catalog = ManifestCatalog.load(userDir);
        assertThat(catalog.get("vulkan-radv").image()).isEqualTo("docker.io/me/mine:1");
        assertThat(catalog.get("vulkan-radv").source()).endsWith("vulkan-radv.yaml").doesNotStartWith("embedded");
        assertThat(catalog.get("my-build").flavor()).isEqualTo("my-build");
    }

    @Test
    void malformedManifestsNameFileFieldAndFix() throws IOException {
        String radv = Files.readString(Path.of("../toolbox-manifests/vulkan-radv.yaml"));
        assertInvalid("a.yaml", "flavor: a\nimage: [unclosed\n", "a.yaml: not valid YAML at line", "fix the YAML");
        assertInvalid("b.yaml", radv.replace("flavor: vulkan-radv", "flavor: b").replace("image: docker.io/kyuz0/amd-strix-halo-toolboxes:vulkan-radv\n", ""),
                "b.yaml: field 'image' is missing", "add `image:`");
        assertInvalid("c.yaml", radv.replace("flavor: vulkan-radv", "flavor: c") + "gpu: yes\n",
                "c.yaml: field 'gpu' is not a manifest field", "remove it");
        assertInvalid("d.yaml", radv.replace("flavor: vulkan-radv", "flavor: x"),
                "d.yaml: field 'flavor' is 'x' but the file is named d.yaml", "rename the file");
        assertInvalid("e.yaml", radv.replace("flavor: vulkan-radv", "flavor: e").replace("\"{port}\"", "\"8080\""),
                "e.yaml: field 'command' has no {port} placeholder", "--port");
        assertInvalid("f.yaml", radv.replace("flavor: vulkan-radv", "flavor: f").replace("[/dev/dri]", "[dri]"),
                "f.yaml: field 'devices' 'dri' is not a path under /dev", "/dev/kfd");
        assertInvalid("g.yaml", radv.replace("flavor: vulkan-radv", "flavor: g").replace("memlock: unlimited", "memlock: lots"),
                "g.yaml: field 'ulimits.memlock' 'lots' is not a limit", "unlimited");
    }

    private void assertInvalid(String file, String text, String message, String fix) throws IOException {
        Path dir = Files.createTempDirectory(userDir, "case");
        Files.writeString(dir.resolve(file), text);
        assertThatThrownBy(() -> ManifestCatalog.load(dir))
                .isInstanceOfSatisfying(OrchestratorException.class, e -> {
                    assertThat(e.reason()).isEqualTo(OrchestratorException.Reason.CONFIG_INVALID);
                    assertThat(e.getMessage()).contains(dir.resolve(file).toString()).contains(message.substring(file.length()));
                    assertThat(e.hint()).contains(fix);
                    assertThat(e.oneLine()).doesNotContain("\n");
                });
    }
}
