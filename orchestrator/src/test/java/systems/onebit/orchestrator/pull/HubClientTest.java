package systems.onebit.orchestrator.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.pull.RepoFiles.RepoFile;
import systems.onebit.orchestrator.testing.HubStandIn;

/** Against the Hub stand-in on loopback: listing, redirect to storage, resume, verification, gated repositories. */
class HubClientTest {

    @TempDir
    Path dir;

    private final HubStandIn hub = new HubStandIn();
    private final byte[] model = random(3 << 20);
    private final String sha = hub.put("org/Tiny-GGUF", "tiny-Q4_K_M.gguf", model);

    HubClientTest() throws IOException {
    }

    @AfterEach
    void close() {
        hub.close();
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(7).nextBytes(b);
        return b;
    }

    private HubClient client(Optional<String> token) {
        return new HubClient(new HubClient.Settings(hub.endpoint(), token, Duration.ofSeconds(10)));
    }

    @Test
    void listsAndDownloadsThroughTheRedirectWithoutSendingTheTokenToStorage() throws Exception {
        HubClient.Listing listing = client(Optional.of("hf_secret")).list("org/Tiny-GGUF", "main");
        assertThat(listing.commit()).isEqualTo(HubStandIn.COMMIT);
        assertThat(listing.files()).containsExactly(new RepoFile("tiny-Q4_K_M.gguf", model.length, Optional.of(sha)));
        HfCache cache = new HfCache(dir);
        Path done = client(Optional.of("hf_secret")).download("org/Tiny-GGUF", listing.commit(), listing.files().getFirst(),
                cache.incomplete("org/Tiny-GGUF", sha), n -> { });
        assertThat(Files.readAllBytes(done)).isEqualTo(model);
        assertThat(hub.seen()).singleElement().satisfies(s -> {
            assertThat(s.authorization()).as("the token stays with the Hub").isEqualTo("null");
            assertThat(s.path()).isEqualTo("/blobs/" + sha);
        });
    }

    @Test
    void aDroppedTransferResumesWithARangeAndVerifies() throws Exception {
        RepoFile file = new RepoFile("tiny-Q4_K_M.gguf", model.length, Optional.of(sha));
        Path incomplete = new HfCache(dir).incomplete("org/Tiny-GGUF", sha);
        hub.dropAt(0.6);
        assertThatThrownBy(() -> client(Optional.empty()).download("org/Tiny-GGUF", HubStandIn.COMMIT, file, incomplete, n -> { }))
                .isInstanceOf(IOException.class);
        long kept = Files.size(incomplete);
        assertThat(kept).isBetween(1L, (long) model.length - 1);
        client(Optional.empty()).download("org/Tiny-GGUF", HubStandIn.COMMIT, file, incomplete, n -> { });
        assertThat(Files.readAllBytes(incomplete)).isEqualTo(model);
        assertThat(hub.seen()).extracting(HubStandIn.Seen::range).containsExactly("null", "bytes=" + kept + "-");
    }

    /** Parallel ranges: 256 KiB pieces over three connections. */
    private HubClient pieces(Optional<String> token) {
        return new HubClient(new HubClient.Settings(hub.endpoint(), token, Duration.ofSeconds(10)),
                new PieceDownload.Settings(3, 256 << 10, Duration.ofSeconds(10)));
    }

    @Test
    void piecesOverSeveralConnectionsAreWrittenAndHashedInOrder() throws Exception {
        RepoFile file = new RepoFile("tiny-Q4_K_M.gguf", model.length, Optional.of(sha));
        Path incomplete = new HfCache(dir).incomplete("org/Tiny-GGUF", sha);
        java.util.List<Long> onDisk = new java.util.concurrent.CopyOnWriteArrayList<>();
        pieces(Optional.of("hf_secret")).download("org/Tiny-GGUF", HubStandIn.COMMIT, file, incomplete, onDisk::add);
        assertThat(Files.readAllBytes(incomplete)).isEqualTo(model);
        assertThat(onDisk).as("the file only grows, piece by piece").isSorted().last().isEqualTo((long) model.length);
        assertThat(hub.seen()).extracting(HubStandIn.Seen::range).first().isEqualTo("bytes=0-0");
        assertThat(hub.seen()).hasSize(1 + 12).allSatisfy(s -> assertThat(s.authorization()).isEqualTo("null"));
        assertThat(hub.seen().stream().skip(1).map(HubStandIn.Seen::range).sorted().toList())
                .contains("bytes=0-262143", "bytes=2883584-3145727");
    }

    @Test
    void aDroppedPieceKeepsTheInOrderPrefixAndTheNextRunFinishes() throws Exception {
        RepoFile file = new RepoFile("tiny-Q4_K_M.gguf", model.length, Optional.of(sha));
        Path incomplete = new HfCache(dir).incomplete("org/Tiny-GGUF", sha);
        hub.dropAt(0.6);
        assertThatThrownBy(() -> pieces(Optional.empty()).download("org/Tiny-GGUF", HubStandIn.COMMIT, file, incomplete, n -> { }))
                .isInstanceOf(IOException.class);
        long kept = Files.size(incomplete);
        assertThat(kept % (256 << 10)).as("whole pieces only").isZero();
        assertThat(kept).isLessThanOrEqualTo((long) (model.length * 0.6));
        assertThat(java.util.Arrays.copyOf(Files.readAllBytes(incomplete), (int) kept))
                .isEqualTo(java.util.Arrays.copyOf(model, (int) kept));
        pieces(Optional.empty()).download("org/Tiny-GGUF", HubStandIn.COMMIT, file, incomplete, n -> { });
        assertThat(Files.readAllBytes(incomplete)).isEqualTo(model);
    }

    @Test
    void aCorruptedFileIsDeletedAndSaid() throws Exception {
        RepoFile file = new RepoFile("tiny-Q4_K_M.gguf", model.length, Optional.of(sha));
        Path incomplete = new HfCache(dir).incomplete("org/Tiny-GGUF", sha);
        Files.createDirectories(incomplete.getParent());
        byte[] start = java.util.Arrays.copyOf(model, 1000);
        start[10] ^= 1;  // a flipped bit in the part already on disk
        Files.write(incomplete, start);
        assertThatThrownBy(() -> client(Optional.empty()).download("org/Tiny-GGUF", HubStandIn.COMMIT, file, incomplete, n -> { }))
                .isInstanceOf(OrchestratorException.class).hasMessageContaining("does not match its sha256")
                .hasMessageContaining("deleted");
        assertThat(incomplete).doesNotExist();
    }

    @Test
    void gatedAndMissingRepositoriesSayWhatToDo() {
        hub.gate("org/Tiny-GGUF", "hf_right");
        assertThatThrownBy(() -> client(Optional.empty()).list("org/Tiny-GGUF", "main"))
                .hasMessageContaining("answered 401 without a token")
                .extracting(e -> ((OrchestratorException) e).hint()).asString()
                .contains("accept the licence at " + hub.endpoint() + "/org/Tiny-GGUF", "hf auth login");
        assertThat(client(Optional.of("hf_right")).list("org/Tiny-GGUF", "main").files()).hasSize(1);
        assertThatThrownBy(() -> client(Optional.empty()).list("org/Nope", "main")).hasMessageContaining("not on the Hub (404)");
        assertThat(hub.seen()).as("nothing reached the storage").isEmpty();
    }
}
