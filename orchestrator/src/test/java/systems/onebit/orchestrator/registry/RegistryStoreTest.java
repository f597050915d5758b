package systems.onebit.orchestrator.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.OrchestratorException;

class RegistryStoreTest {

    @TempDir
    Path dir;

    private static Backend openai(String name, int port) {
        return new Backend(name, BackendKind.OPENAI, URI.create("http://127.0.0.1:" + port), "", List.of("m"),
                List.of(), 100, true);
    }

    @Test
    void missingFileGivesTheEmbeddedDefaults() {
        Registry registry = new RegistryStore(dir.resolve("1bit/registry.yaml")).read();
        assertThat(registry.proxyPort()).isEqualTo(13306);
        assertThat(registry.proxyHost()).isEqualTo("127.0.0.1");
        assertThat(registry.require("llama").port()).isEqualTo(13305);
        assertThat(registry.require("llama").kind()).isEqualTo(BackendKind.TOOLBOX);
        assertThat(registry.require("flm").port()).isEqualTo(52625);
        assertThat(Files.exists(dir.resolve("1bit"))).isFalse();
    }

    @Test
    void updateWritesAtomicallyAndPrivately() throws IOException {
        RegistryStore store = new RegistryStore(dir.resolve("1bit/registry.yaml"));
        store.update(r -> r.with(openai("vllm", 8000)));
        Registry back = store.read();
        assertThat(back.require("vllm").url()).isEqualTo(URI.create("http://127.0.0.1:8000"));
        assertThat(back.require("vllm").models()).containsExactly("m");
        assertThat(back.backends()).extracting(Backend::name).containsExactly("llama", "flm", "vllm");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file()))).isEqualTo("rw-------");
        try (var files = Files.list(store.file().getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("registry.yaml", "registry.yaml.lock");
        }
    }

    @Test
    void aModelsRpcWorkersRoundTripAndAMalformedOneIsRefused() {
        RegistryStore store = new RegistryStore(dir.resolve("1bit/registry.yaml"));
        ModelEntry split = new ModelEntry("big", Path.of("/m/big.gguf"), 0, "rocm-7.14", 1, false, 0,
                List.of("10.0.0.2:50052", "[fd00::3]:50052"));
        store.update(r -> r.withModel(split));
        assertThat(store.read().model("big")).contains(split);
        assertThat(store.read().model("big").orElseThrow().sameLaunch(split.withContext(0))).isTrue();
        assertThatThrownBy(() -> new ModelEntry("big", Path.of("/m/big.gguf"), 0, "rocm-7.14", 1, false, 0, List.of("10.0.0.2")))
                .hasMessageContaining("RPC worker '10.0.0.2' is not HOST:PORT");
    }

    @Test
    void corruptFileIsReportedAndNeverOverwritten() throws IOException {
        RegistryStore store = new RegistryStore(dir.resolve("registry.yaml"));
        String corrupt = "backends:\n  - name: a\n    kind: toolbox\n   url: [\n";
        Files.writeString(store.file(), corrupt);
        assertThatThrownBy(() -> store.update(r -> r.with(openai("x", 1234))))
                .isInstanceOfSatisfying(OrchestratorException.class, e -> {
                    assertThat(e.reason()).isEqualTo(OrchestratorException.Reason.CONFIG_INVALID);
                    assertThat(e.getMessage()).contains(store.file().toString(), "not valid YAML");
                    assertThat(e.hint()).contains("never overwrites", "mv ");
                });
        assertThat(Files.readString(store.file())).isEqualTo(corrupt);
    }

    @Test
    void semanticallyInvalidFileIsReportedWithTheEntry() throws IOException {
        RegistryStore store = new RegistryStore(dir.resolve("registry.yaml"));
        Files.writeString(store.file(), "backends:\n  - name: a\n    kind: gpu\n    url: http://127.0.0.1:1\n");
        assertThatThrownBy(store::read).hasMessageContaining("backends[0] (a): kind 'gpu' is not one of");
        Files.writeString(store.file(), "backends:\n  - name: a\n    kind: toolbox\n    url: http://127.0.0.1:1\n");
        assertThatThrownBy(store::read).hasMessageContaining("a toolbox backend needs a flavor");
    }

    @Test
    void duplicateNameIsAConflict() {
        RegistryStore store = new RegistryStore(dir.resolve("registry.yaml"));
        assertThatThrownBy(() -> store.update(r -> r.with(openai("llama", 1))))
                .isInstanceOfSatisfying(OrchestratorException.class,
                        e -> assertThat(e.reason()).isEqualTo(OrchestratorException.Reason.CONFLICT));
        assertThat(Files.exists(store.file())).isFalse();
    }

    @Test
    void concurrentUpdatesAllLand() throws Exception {
        RegistryStore store = new RegistryStore(dir.resolve("registry.yaml"));
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<Registry>> futures = IntStream.range(0, 40)
                    .mapToObj(i -> pool.submit(() -> new RegistryStore(store.file()).update(r -> r.with(openai("b" + i, 9000 + i)))))
                    .toList();
            for (Future<Registry> f : futures) {
                f.get();
            }
        }
        assertThat(store.read().backends()).hasSize(42);
    }

    @Test
    void aChangeThatWouldNotReadBackIsRefusedAndNothingIsWritten() {
        RegistryStore store = new RegistryStore(dir.resolve("registry.yaml"));
        assertThatThrownBy(() -> store.update(r -> new Registry(r.proxyHost(), 0, r.defaultBackend(), r.backends())))
                .isInstanceOfSatisfying(OrchestratorException.class,
                        e -> assertThat(e.getMessage()).contains("proxy.port 0 is not a TCP port"));
        assertThat(Files.exists(store.file())).isFalse();
    }

    @Test
    void aliasesRoundTrip() throws IOException {
        RegistryStore store = new RegistryStore(dir.resolve("registry.yaml"));
        Files.writeString(store.file(), "aliases:\n  coder: qwen3-coder-30b\nbackends: []\n");
        assertThat(store.read().aliases()).containsEntry("coder", "qwen3-coder-30b");
        Registry after = store.update(r -> r.with(openai("x", 9999)));
        assertThat(after.aliases()).containsEntry("coder", "qwen3-coder-30b");
        assertThat(store.read().aliases()).containsEntry("coder", "qwen3-coder-30b");
    }

    @Test
    void removingTheDefaultBackendClearsTheDefault() {
        RegistryStore store = new RegistryStore(dir.resolve("registry.yaml"));
        Registry after = store.update(r -> r.without("llama"));
        assertThat(after.defaultBackend()).isEmpty();
        assertThat(store.read().find("llama")).isEmpty();
    }
}
