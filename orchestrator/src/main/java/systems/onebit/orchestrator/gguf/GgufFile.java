package systems.onebit.orchestrator.gguf;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What 1bit needs from a GGUF file's header: scalar metadata (arrays are counted, not kept), and the tensors.
 *
 * @param metadata    scalar values (String, Long, Double, Boolean) by key; arrays appear as "array[N]" strings
 * @param dataOffset  where tensor data starts (aligned)
 */
public record GgufFile(Path path, int version, long fileSize, Map<String, Object> metadata, List<Tensor> tensors,
                       long dataOffset) {

    public GgufFile {
        metadata = Map.copyOf(metadata);
        tensors = List.copyOf(tensors);
    }

    public record Tensor(String name, List<Long> shape, GgmlType type, long offset, long bytes) {
        public Tensor {
            shape = List.copyOf(shape);
        }
    }

    public String architecture() {
        return string("general.architecture").orElse("");
    }

    public Optional<String> string(String key) {
        return metadata.get(key) instanceof String s ? Optional.of(s) : Optional.empty();
    }

    public Optional<Long> number(String key) {
        return metadata.get(key) instanceof Long l ? Optional.of(l) : Optional.empty();
    }

    /** An architecture key ({@code llama.block_count} for key "block_count"). */
    public Optional<Long> arch(String key) {
        return number(architecture() + "." + key);
    }

    public long blockCount() {
        return arch("block_count").orElse(0L);
    }

    public long embeddingLength() {
        return arch("embedding_length").orElse(0L);
    }

    public long headCount() {
        return arch("attention.head_count").orElse(0L);
    }

    /** KV heads (grouped-query attention); the head count when the file does not say. */
    public long headCountKv() {
        return arch("attention.head_count_kv").orElse(headCount());
    }

    public long contextLength() {
        return arch("context_length").orElse(0L);
    }

    /** Per-head key size: {@code attention.key_length}, else embedding / heads. */
    public long headSize() {
        return arch("attention.key_length").orElse(headCount() == 0 ? 0 : embeddingLength() / headCount());
    }

    public long weightBytes() {
        return tensors.stream().mapToLong(Tensor::bytes).sum();
    }
}
