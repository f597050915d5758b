package systems.onebit.orchestrator.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.testing.TinyGguf;

/** The GGUF reader on generated models (the same files llama-server loads in the proxy tests) and hostile files. */
class GgufReaderTest {

    @TempDir
    Path dir;

    @Test
    void readsTheArchitectureAndTensorsOfAGeneratedModel() throws Exception {
        Path file = new TinyGguf().embedding(64).layers(3).context(1024).name("tiny-x").write(dir.resolve("m.gguf"));
        GgufFile model = GgufReader.read(file);
        assertThat(model.version()).isEqualTo(3);
        assertThat(model.architecture()).isEqualTo("llama");
        assertThat(model.string("general.name")).contains("tiny-x");
        assertThat(model.blockCount()).isEqualTo(3);
        assertThat(model.embeddingLength()).isEqualTo(64);
        assertThat(model.headCount()).isEqualTo(4);
        assertThat(model.headCountKv()).isEqualTo(4);
        assertThat(model.headSize()).isEqualTo(16);
        assertThat(model.contextLength()).isEqualTo(1024);
        assertThat(model.metadata().get("tokenizer.ggml.tokens")).asString().startsWith("array[");
        assertThat(model.tensors()).extracting(GgufFile.Tensor::name).contains("token_embd.weight", "blk.2.attn_q.weight");
        GgufFile.Tensor q = model.tensors().stream().filter(t -> t.name().equals("blk.0.attn_q.weight")).findFirst().orElseThrow();
        assertThat(q.shape()).containsExactly(64L, 64L);
        assertThat(q.bytes()).isEqualTo(64L * 64 * q.type().bytes(1).orElse(0L));
        // The tensors end exactly where the file does.
        long end = model.tensors().stream().mapToLong(t -> model.dataOffset() + t.offset() + t.bytes()).max().orElseThrow();
        assertThat(end).isLessThanOrEqualTo(Files.size(file));
        assertThat(model.weightBytes()).isPositive();
    }

    @Test
    void estimatesMemoryFromTheMetadata() throws Exception {
        GgufFile model = GgufReader.read(new TinyGguf().embedding(64).layers(2).write(dir.resolve("m.gguf")));
        MemoryEstimate estimate = MemoryEstimate.of(model, 4096, 2, 2.0, MemoryEstimate.DEFAULT_OVERHEAD);
        // 2 (K and V) x 2 layers x 4096 tokens x 2 slots x 4 KV heads x 16 per head x 2 bytes
        assertThat(estimate.kvCache()).isEqualTo(2L * 2 * 4096 * 2 * 4 * 16 * 2);
        assertThat(estimate.total()).isEqualTo(model.weightBytes() + estimate.kvCache() + MemoryEstimate.DEFAULT_OVERHEAD);
    }

    private static byte[] header(int magic, int version, long tensors, long kvs) {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(magic).putInt(version).putLong(tensors)
                .putLong(kvs).array();
    }

    private Path file(byte[]... parts) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p);
        }
        out.write(new byte[64]); // padding, so that "too short" is not what fails
        return Files.write(dir.resolve("hostile-" + System.nanoTime() + ".gguf"), out.toByteArray());
    }

    private static byte[] le(long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }

    private static byte[] le32(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    private static void assertRejected(Path file, String... fragments) {
        assertThatThrownBy(() -> GgufReader.read(file))
                .isInstanceOf(OrchestratorException.class)
                .hasMessageContaining("is not a usable GGUF file")
                .hasMessageContainingAll(fragments)
                .extracting(e -> ((OrchestratorException) e).reason())
                .isEqualTo(OrchestratorException.Reason.CONFIG_INVALID);
    }

    @Test
    void wrongMagicAndVersionAreNamed() throws Exception {
        assertRejected(file(header(0x12345678, 3, 0, 0)), "wrong magic");
        assertRejected(file("PK\u0003\u0004 a zip, not a model".getBytes(StandardCharsets.ISO_8859_1), new byte[24]), "wrong magic");
        assertRejected(file(header(GgufReader.MAGIC, 7, 0, 0)), "GGUF version 7");
    }

    @Test
    void hugeCountsAndLengthsAreRefusedBeforeAnythingIsAllocated() throws Exception {
        assertRejected(file(header(GgufReader.MAGIC, 3, Long.MAX_VALUE, 1)), "cannot fit in the file");
        assertRejected(file(header(GgufReader.MAGIC, 3, 0, -1L)), "impossibly large");
        // A key whose length claims 2^40 bytes.
        assertRejected(file(header(GgufReader.MAGIC, 3, 0, 1), le(1L << 40)), "bytes long");
        // An array of 2^61 strings.
        byte[] key = "tokenizer.ggml.tokens".getBytes(StandardCharsets.UTF_8);
        assertRejected(file(header(GgufReader.MAGIC, 3, 0, 1), le(key.length), key, le32(9, 8), le(1L << 61)),
                "claims", "more than the file holds");
        // An array whose string elements each claim more than what is left.
        assertRejected(file(header(GgufReader.MAGIC, 3, 0, 1), le(key.length), key, le32(9, 8), le(2), le(1L << 50)),
                "the file ends first");
    }

    @Test
    void truncatedFilesAreNamedAsTruncated() throws Exception {
        Path whole = new TinyGguf().write(dir.resolve("whole.gguf"));
        byte[] bytes = Files.readAllBytes(whole);
        Path cutInHeader = Files.write(dir.resolve("cut-header.gguf"), Arrays.copyOf(bytes, 300));
        assertThatThrownBy(() -> GgufReader.read(cutInHeader)).hasMessageContaining("truncated");
        Path cutInData = Files.write(dir.resolve("cut-data.gguf"), Arrays.copyOf(bytes, bytes.length - 100));
        assertThatThrownBy(() -> GgufReader.read(cutInData)).hasMessageContaining("reaches past the end of the file")
                .hasMessageContaining("truncated");
    }

    @Test
    void unknownTypesAndBadShapesAreRefused() throws Exception {
        byte[] name = "w".getBytes(StandardCharsets.UTF_8);
        assertRejected(file(header(GgufReader.MAGIC, 3, 1, 0), le(name.length), name, le32(2), le(32, 2), le32(99), le(0)),
                "unknown type 99");
        assertRejected(file(header(GgufReader.MAGIC, 3, 1, 0), le(name.length), name, le32(9)), "9 dimensions");
        // Q4_0 needs whole blocks of 32 elements.
        assertRejected(file(header(GgufReader.MAGIC, 3, 1, 0), le(name.length), name, le32(1), le(33), le32(2), le(0)),
                "not whole blocks");
        assertRejected(file(header(GgufReader.MAGIC, 3, 1, 0), le(name.length), name, le32(2),
                le(1L << 40, 1L << 40), le32(0), le(0)), "more elements than a file can hold");
    }

    @Test
    void aMissingFileIsNotFound() {
        assertThatThrownBy(() -> GgufReader.read(dir.resolve("nope.gguf")))
                .isInstanceOf(OrchestratorException.class)
                .extracting(e -> ((OrchestratorException) e).reason())
                .isEqualTo(OrchestratorException.Reason.NOT_FOUND);
    }

    @Test
    void readingAHostileFileIsBoundedInTime() throws Exception {
        // Many tiny array elements: the reader walks them with bounded reads and finishes quickly.
        byte[] key = "a".getBytes(StandardCharsets.UTF_8);
        int n = 2_000_000;
        Path file = file(header(GgufReader.MAGIC, 3, 0, 1), le(key.length), key, le32(9, 0), le(n), new byte[n]);
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(10), () -> GgufReader.read(file));
    }
}
