package systems.onebit.orchestrator.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.host.GpuMemory;
import systems.onebit.orchestrator.registry.RegistryStore;
import systems.onebit.orchestrator.testing.HubStandIn;
import systems.onebit.orchestrator.testing.TinyGguf;

/** Pulls from the Hub stand-in into a temporary Hugging Face cache and registry. */
class PullServiceTest {

    @TempDir
    Path dir;

    private final HubStandIn hub = new HubStandIn();
    private final List<String> events = new ArrayList<>();

    PullServiceTest() throws IOException {
    }

    @AfterEach
    void close() {
        hub.close();
    }

    private PullService service(Optional<GpuMemory.Budget> budget) {
        HubClient client = new HubClient(new HubClient.Settings(hub.endpoint(), Optional.empty(), Duration.ofSeconds(10)));
        return new PullService(client, "127.0.0.1", new HfCache(dir.resolve("hub")), ModelCatalog.embedded(),
                new RegistryStore(dir.resolve("config/registry.yaml")), () -> budget,
                new PullService.Settings(3, Duration.ofMillis(10), dir.resolve("url-models")));
    }

    private PullService.Pulled pull(String ref) {
        return service(Optional.empty()).pull(new PullService.Request(ref, Optional.empty(), 0, Optional.empty(), true),
                new PullService.Progress() {
                    @Override
                    public void update(String file, long done, long total) {
                    }

                    @Override
                    public void done(String file, long bytes, String how) {
                        events.add(file + " " + how);
                    }
                });
    }

    private byte[] model(long seed) throws IOException {
        return Files.readAllBytes(new TinyGguf().seed(seed).write(dir.resolve("made/m" + seed + ".gguf")));
    }

    @Test
    void aQuantLandsInTheCacheLayoutIsRegisteredAndASecondPullDownloadsNothing() throws Exception {
        byte[] q8 = model(1);
        String sha = hub.put("org/Tiny-GGUF", "Tiny-Q8_0.gguf", q8);
        hub.put("org/Tiny-GGUF", "Tiny-F32.gguf", model(2));
        hub.put("org/Tiny-GGUF", "README.md", "# Tiny".getBytes());

        PullService.Pulled first = pull("org/Tiny-GGUF:Q8_0");
        Path repo = dir.resolve("hub/models--org--Tiny-GGUF");
        Path link = repo.resolve("snapshots/" + HubStandIn.COMMIT + "/Tiny-Q8_0.gguf");
        assertThat(first.model()).containsExactly(link);
        assertThat(Files.readSymbolicLink(link)).isEqualTo(Path.of("../../blobs/" + sha));
        assertThat(Files.readAllBytes(link)).isEqualTo(q8);
        assertThat(Files.readString(repo.resolve("refs/main"))).isEqualTo(HubStandIn.COMMIT);
        assertThat(repo.resolve("blobs")).isDirectoryContaining(p -> p.getFileName().toString().equals(sha))
                .isDirectoryNotContaining(p -> p.toString().endsWith(".incomplete"));
        assertThat(first.downloaded()).isEqualTo(q8.length);
        assertThat(first.registered()).map(e -> e.alias() + " " + e.path()).contains("tiny:q8_0 " + link);
        assertThat(hub.seen()).hasSize(1);

        PullService.Pulled again = pull("org/Tiny-GGUF:Q8_0");
        assertThat(again.downloaded()).isZero();
        assertThat(again.reused()).isEqualTo(q8.length);
        assertThat(hub.seen()).as("nothing fetched the second time").hasSize(1);
        assertThat(events).containsExactly("Tiny-Q8_0.gguf downloaded", "Tiny-Q8_0.gguf already here");
    }

    @Test
    void aSplitComesWholeWithItsProjector() throws Exception {
        List<Path> shards = new TinyGguf().seed(3).writeSplit(Files.createDirectories(dir.resolve("made")), "Big-F32", 2);
        for (Path shard : shards) {
            hub.put("org/Big-GGUF", "F32/" + shard.getFileName(), Files.readAllBytes(shard));
        }
        hub.put("org/Big-GGUF", "mmproj-F16.gguf", model(4));
        PullService.Pulled pulled = pull("org/Big-GGUF:F32");
        assertThat(pulled.model()).extracting(p -> p.getFileName().toString())
                .containsExactly("Big-F32-00001-of-00002.gguf", "Big-F32-00002-of-00002.gguf");
        assertThat(pulled.mmproj()).map(p -> p.getFileName().toString()).contains("mmproj-F16.gguf");
        assertThat(pulled.registered()).map(e -> e.alias()).contains("big:f32");
        for (int i = 0; i < 2; i++) {
            assertThat(Files.readAllBytes(pulled.model().get(i))).isEqualTo(Files.readAllBytes(shards.get(i)));
        }
    }

    @Test
    void aFileAnotherToolDownloadedIsVerifiedAndReusedAndABadOneReplaced() throws Exception {
        byte[] q8 = model(5);
        String sha = hub.put("org/Tiny-GGUF", "Tiny-Q8_0.gguf", q8);
        Path blob = Files.createDirectories(dir.resolve("hub/models--org--Tiny-GGUF/blobs")).resolve(sha);
        Files.write(blob, q8);  // as `hf download` would leave it, without our snapshot yet
        assertThat(pull("org/Tiny-GGUF:Q8_0").downloaded()).isZero();
        assertThat(hub.seen()).isEmpty();

        byte[] wrong = q8.clone();
        wrong[wrong.length / 2] ^= 1;
        Files.delete(dir.resolve("hub/models--org--Tiny-GGUF/snapshots/" + HubStandIn.COMMIT + "/Tiny-Q8_0.gguf"));
        Files.write(blob, wrong);  // same size, other bytes: not trusted
        assertThat(pull("org/Tiny-GGUF:Q8_0").downloaded()).isEqualTo(q8.length);
        assertThat(Files.readAllBytes(blob)).isEqualTo(q8);
    }

    @Test
    void aDroppedConnectionIsResumedWithinThePull() throws Exception {
        byte[] q8 = model(6);
        hub.put("org/Tiny-GGUF", "Tiny-Q8_0.gguf", q8);
        hub.dropAt(0.6);
        PullService.Pulled pulled = pull("org/Tiny-GGUF:Q8_0");
        assertThat(Files.readAllBytes(pulled.model().getFirst())).isEqualTo(q8);
        assertThat(hub.seen()).hasSize(2);
        assertThat(hub.seen().get(1).range()).matches("bytes=\\d+-");
    }

    @Test
    void aPlainUrlIsResumedCheckedByItsHashWhenGivenAndRegistered() throws Exception {
        byte[] gguf = model(9);
        URI url = hub.file("plain-Q8_0.gguf", gguf);
        hub.dropAt(0.5);
        PullService.Pulled pulled = pull(url + "#sha256=" + HubStandIn.sha256(gguf));
        Path dest = dir.resolve("url-models/localhost/plain-Q8_0.gguf");
        assertThat(pulled.model()).containsExactly(dest);
        assertThat(Files.readAllBytes(dest)).isEqualTo(gguf);
        assertThat(hub.seen().getLast().range()).as("resumed after the drop").matches("bytes=[1-9]\\d*-");
        assertThat(pulled.registered()).map(e -> e.alias()).contains("plain-q8_0");
        assertThat(pulled.warnings()).isEmpty();

        PullService.Pulled again = service(Optional.empty()).pull(new PullService.Request(url.toString(), Optional.empty(), 0,
                Optional.empty(), false), PullCommandless.PROGRESS);
        assertThat(again.downloaded()).isZero();
        assertThat(again.warnings()).singleElement().asString().contains("checked by its size only", "#sha256=");

        URI other = hub.file("other.gguf", gguf);
        assertThatThrownBy(() -> pull(other + "#sha256=" + "0".repeat(64))).isInstanceOf(OrchestratorException.class)
                .hasMessageContaining("does not match its sha256");
        assertThat(dir.resolve("url-models/localhost/other.gguf")).doesNotExist();
    }

    @Test
    void tooLittleSpaceIsRefusedBeforeAnyTransfer() throws Exception {
        Path small = Files.createDirectories(dir.resolve("small"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.toString())
                .redirectErrorStream(true).start();
        assertThat(mount.waitFor()).as("mounting a 1 MiB tmpfs needs root (CI runs as root)").isZero();
        try {
            byte[] big = Files.readAllBytes(new TinyGguf().embedding(256).write(dir.resolve("made/big.gguf")));
            assertThat(big.length).as("larger than the file system").isGreaterThan(1 << 20);
            hub.put("org/Tiny-GGUF", "Tiny-Q8_0.gguf", big);
            HubClient client = new HubClient(new HubClient.Settings(hub.endpoint(), Optional.empty(), Duration.ofSeconds(10)));
            PullService service = new PullService(client, "127.0.0.1", new HfCache(small.resolve("hub")),
                    ModelCatalog.embedded(), new RegistryStore(dir.resolve("config/registry.yaml")), Optional::empty,
                    new PullService.Settings(1, Duration.ofMillis(10), dir.resolve("url-models")));
            assertThatThrownBy(() -> service.pull(new PullService.Request("org/Tiny-GGUF:Q8_0", Optional.empty(), 0,
                    Optional.empty(), true), PullCommandless.PROGRESS))
                    .isInstanceOf(OrchestratorException.class).hasMessageContaining("needs")
                    .hasMessageContaining("free").extracting(e -> ((OrchestratorException) e).hint()).asString()
                    .contains("HF_HUB_CACHE");
            assertThat(hub.seen()).as("refused before downloading").isEmpty();
        } finally {
            new ProcessBuilder("umount", small.toString()).start().waitFor();
        }
    }

    @Test
    void aModelLargerThanTheBudgetIsRegisteredWithAWarning() throws Exception {
        hub.put("org/Tiny-GGUF", "Tiny-Q8_0.gguf", model(8));
        PullService.Pulled pulled = service(Optional.of(new GpuMemory.Budget(1 << 20, "test budget")))
                .pull(new PullService.Request("org/Tiny-GGUF:Q8_0", Optional.of("tiny"), 0, Optional.empty(), true),
                        PullCommandless.PROGRESS);
        assertThat(pulled.warnings()).singleElement().asString().contains("tiny needs about", "will not load");
        assertThat(pulled.registered()).isPresent();
    }

    /** Progress nobody watches. */
    private static final class PullCommandless {
        static final PullService.Progress PROGRESS = new PullService.Progress() {
            @Override
            public void update(String file, long done, long total) {
            }

            @Override
            public void done(String file, long bytes, String how) {
            }
        };
    }
}
