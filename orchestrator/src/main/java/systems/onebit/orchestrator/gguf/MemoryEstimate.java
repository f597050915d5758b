package systems.onebit.orchestrator.gguf;

/**
 * What a model needs in (unified) memory when llama-server runs it: weights, the KV cache for {@code context} tokens
 * in each of {@code parallel} slots ({@code 2 × layers × tokens × KV heads × head size × cache element bytes}), and a
 * fixed overhead for compute buffers and the runtime.
 */
public record MemoryEstimate(long weights, long kvCache, long overhead) {

    public static final long DEFAULT_OVERHEAD = 512L << 20;

    public long total() {
        return weights + kvCache + overhead;
    }

    /** @param cacheBytes bytes per cached element: 2 for f16 (llama.cpp's default), 1 for q8_0 (about) */
    public static MemoryEstimate of(GgufFile model, long context, int parallel, double cacheBytes, long overhead) {
        if (context <= 0 || parallel <= 0) {
            throw new IllegalArgumentException("context and parallel slots must be positive");
        }
        double kv = 2.0 * model.blockCount() * context * parallel * model.headCountKv() * model.headSize() * cacheBytes;
        return new MemoryEstimate(model.weightBytes(), (long) Math.ceil(kv), overhead);
    }
}
