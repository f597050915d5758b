package systems.onebit.orchestrator.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;

/**
 * Writes a tiny llama-architecture GGUF v3 with random F32 weights that a real llama-server loads and chats with
 * (no registry ships a GGUF model). Pitfalls handled: the vocabulary holds no duplicate tokens (the loader
 * asserts), and byte and control tokens are made unsampleable (a constant embedding feature with a strongly
 * negative output weight), since random bytes break llama-server's streamed chat parsing. End-of-sequence is
 * then never sampled: callers set max_tokens.
 */
public final class TinyGguf {

    private static final int U16 = 2, U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STR = 8, ARR = 9;
    private static final int ALIGN = 32;
    private static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
            + "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private int embd = 64;
    private int layers = 2;
    private int heads = 4;
    private long seed = 42;
    private int context = 2048;
    private String name = "tiny-random-llama";

    public TinyGguf embedding(int value) {
        embd = value;
        return this;
    }

    public TinyGguf layers(int value) {
        layers = value;
        return this;
    }

    public TinyGguf seed(long value) {
        seed = value;
        return this;
    }

    /** The model's trained context length (llama-server caps -c at it). */
    public TinyGguf context(int value) {
        context = value;
        return this;
    }

    public TinyGguf name(String value) {
        name = value;
        return this;
    }

    private record Token(String text, float score, int type) {
    }

    private static List<Token> vocabulary() {
        LinkedHashSet<String> seen = new LinkedHashSet<>();
        List<Token> tokens = new ArrayList<>();
        java.util.function.BiConsumer<String, float[]> add = (text, scoreType) -> {
            if (seen.add(text)) {
                tokens.add(new Token(text, scoreType[0], (int) scoreType[1]));
            }
        };
        add.accept("<unk>", new float[] {0f, 2});
        add.accept("<s>", new float[] {0f, 3});
        add.accept("</s>", new float[] {0f, 3});
        for (int b = 0; b < 256; b++) {
            add.accept(String.format("<0x%02X>", b), new float[] {0f, 6});
        }
        add.accept("\u2581", new float[] {-1f, 1});
        for (char c : "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?;:'\"-()".toCharArray()) {
            add.accept(String.valueOf(c), new float[] {-2f, 1});
        }
        for (String w : List.of("the", "a", "and", "to", "of", "is", "in", "it", "you", "that", "hello", "world",
                "once", "upon", "time", "there", "was", "little", "girl", "boy", "dog", "cat", "happy", "said", "he",
                "she", "they", "big", "sun", "day", "play", "friend", "tree", "ball")) {
            add.accept("\u2581" + w, new float[] {-1.5f + 0.01f * w.length(), 1});
            add.accept(w, new float[] {-1.6f + 0.01f * w.length(), 1});
        }
        return tokens;
    }

    /** Writes the model to {@code file} and returns it. */
    public Path write(Path file) throws IOException {
        List<Blob> tensors = tensors();
        writeFile(file, metadata(), tensors);
        return file;
    }

    /**
     * Writes the model split as llama.cpp's gguf-split does: {@code PREFIX-0000i-of-0000n.gguf} in {@code dir}, the
     * first holding every key plus {@code split.no/count/tensors.count}, the others only the split keys; the tensors
     * shared out in order. Returns the shards, first to last.
     */
    public List<Path> writeSplit(Path dir, String prefix, int count) throws IOException {
        List<Blob> tensors = tensors();
        List<Path> shards = new ArrayList<>();
        int per = (tensors.size() + count - 1) / count;
        for (int i = 0; i < count; i++) {
            Kv kv = i == 0 ? metadata() : new Kv(new Bytes(), 0);
            int n = kv.count();
            n += kv.bytes().u16("split.no", i);
            n += kv.bytes().u16("split.count", count);
            n += kv.bytes().i32("split.tensors.count", tensors.size());
            Path shard = dir.resolve(String.format("%s-%05d-of-%05d.gguf", prefix, i + 1, count));
            writeFile(shard, new Kv(kv.bytes(), n), tensors.subList(Math.min(tensors.size(), i * per),
                    Math.min(tensors.size(), (i + 1) * per)));
            shards.add(shard);
        }
        return shards;
    }

    private record Kv(Bytes bytes, int count) {
    }

    private record Blob(String name, long[] shape, byte[] data) {
    }

    private Kv metadata() {
        List<Token> vocab = vocabulary();
        int ff = 4 * embd;
        Bytes kv = new Bytes();
        int kvCount = 0;
        kvCount += kv.str("general.architecture", "llama");
        kvCount += kv.str("general.name", name);
        kvCount += kv.u32("general.file_type", 0);
        kvCount += kv.u32("general.alignment", ALIGN);
        kvCount += kv.u32("llama.context_length", context);
        kvCount += kv.u32("llama.embedding_length", embd);
        kvCount += kv.u32("llama.block_count", layers);
        kvCount += kv.u32("llama.feed_forward_length", ff);
        kvCount += kv.u32("llama.attention.head_count", heads);
        kvCount += kv.u32("llama.attention.head_count_kv", heads);
        kvCount += kv.u32("llama.rope.dimension_count", embd / heads);
        kvCount += kv.f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        kvCount += kv.u32("llama.vocab_size", vocab.size());
        kvCount += kv.str("tokenizer.ggml.model", "llama");
        kvCount += kv.str("tokenizer.ggml.pre", "default");
        kv.string("tokenizer.ggml.tokens").u32(ARR).u32(STR).u64(vocab.size());
        vocab.forEach(t -> kv.string(t.text()));
        kv.string("tokenizer.ggml.scores").u32(ARR).u32(F32).u64(vocab.size());
        vocab.forEach(t -> kv.f32(t.score()));
        kv.string("tokenizer.ggml.token_type").u32(ARR).u32(I32).u64(vocab.size());
        vocab.forEach(t -> kv.u32(t.type()));
        kvCount += 3;
        kvCount += kv.u32("tokenizer.ggml.bos_token_id", 1);
        kvCount += kv.u32("tokenizer.ggml.eos_token_id", 2);
        kvCount += kv.u32("tokenizer.ggml.unknown_token_id", 0);
        kvCount += kv.bool("tokenizer.ggml.add_bos_token", true);
        kvCount += kv.bool("tokenizer.ggml.add_eos_token", false);
        kvCount += kv.str("tokenizer.chat_template", CHATML);
        return new Kv(kv, kvCount);
    }

    private List<Blob> tensors() {
        List<Token> vocab = vocabulary();
        int ff = 4 * embd;

        record Tensor(String name, long[] shape, float std) {
        }
        List<Tensor> tensors = new ArrayList<>();
        tensors.add(new Tensor("token_embd.weight", new long[] {embd, vocab.size()}, 0.02f));
        for (int i = 0; i < layers; i++) {
            String p = "blk." + i + ".";
            tensors.add(new Tensor(p + "attn_norm.weight", new long[] {embd}, 1f));
            tensors.add(new Tensor(p + "attn_q.weight", new long[] {embd, embd}, 0.02f));
            tensors.add(new Tensor(p + "attn_k.weight", new long[] {embd, embd}, 0.02f));
            tensors.add(new Tensor(p + "attn_v.weight", new long[] {embd, embd}, 0.02f));
            tensors.add(new Tensor(p + "attn_output.weight", new long[] {embd, embd}, 0.02f));
            tensors.add(new Tensor(p + "ffn_norm.weight", new long[] {embd}, 1f));
            tensors.add(new Tensor(p + "ffn_gate.weight", new long[] {embd, ff}, 0.02f));
            tensors.add(new Tensor(p + "ffn_up.weight", new long[] {embd, ff}, 0.02f));
            tensors.add(new Tensor(p + "ffn_down.weight", new long[] {ff, embd}, 0.02f));
        }
        tensors.add(new Tensor("output_norm.weight", new long[] {embd}, 1f));
        tensors.add(new Tensor("output.weight", new long[] {embd, vocab.size()}, 1f));

        Random rng = new Random(seed);
        List<Blob> blobs = new ArrayList<>();
        for (Tensor t : tensors) {
            long n = 1;
            for (long d : t.shape()) {
                n *= d;
            }
            ByteBuffer data = ByteBuffer.allocate((int) n * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < n; i++) {
                float v = t.shape().length == 1 ? t.std() : (float) (rng.nextGaussian() * t.std());
                if (t.name().equals("token_embd.weight") && i % embd == 0) {
                    v = 1f;  // constant feature in dim 0 of every embedding
                }
                if (t.name().equals("output.weight") && i % embd == 0) {
                    v = vocab.get((int) (i / embd)).type() == 1 ? 0f : -5f;  // only normal tokens are sampled
                }
                data.putFloat(v);
            }
            blobs.add(new Blob(t.name(), t.shape(), data.array()));
        }
        return blobs;
    }

    private static void writeFile(Path file, Kv kv, List<Blob> tensors) throws IOException {
        Bytes infos = new Bytes();
        long offset = 0;
        for (Blob t : tensors) {
            infos.string(t.name()).u32(t.shape().length);
            for (long d : t.shape()) {
                infos.u64(d);
            }
            infos.u32(0).u64(offset);  // type 0 = F32
            offset += t.data().length + pad(t.data().length);
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            Bytes header = new Bytes();
            header.raw("GGUF".getBytes(StandardCharsets.US_ASCII)).u32(3).u64(tensors.size()).u64(kv.count());
            long written = header.writeTo(out) + kv.bytes().writeTo(out) + infos.writeTo(out);
            out.write(new byte[pad(written)]);
            for (Blob blob : tensors) {
                out.write(blob.data());
                out.write(new byte[pad(blob.data().length)]);
            }
        }
    }

    private static int pad(long n) {
        return (int) ((ALIGN - n % ALIGN) % ALIGN);
    }

    /** Little-endian byte sink for GGUF's key/value and tensor-info sections. */
    private static final class Bytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Bytes raw(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Bytes u32(long v) {
            return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
        }

        Bytes u64(long v) {
            return raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        Bytes f32(float v) {
            return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array());
        }

        Bytes string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u64(b.length).raw(b);
        }

        int str(String key, String value) {
            string(key).u32(STR).string(value);
            return 1;
        }

        int u16(String key, int value) {
            string(key).u32(U16).raw(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) value).array());
            return 1;
        }

        int i32(String key, int value) {
            string(key).u32(I32).u32(value);
            return 1;
        }

        int u32(String key, long value) {
            string(key).u32(U32).u32(value);
            return 1;
        }

        int f32(String key, float value) {
            string(key).u32(F32).f32(value);
            return 1;
        }

        int bool(String key, boolean value) {
            string(key).u32(BOOL).raw(new byte[] {(byte) (value ? 1 : 0)});
            return 1;
        }

        long writeTo(OutputStream target) throws IOException {
            out.writeTo(target);
            return out.size();
        }
    }
}
