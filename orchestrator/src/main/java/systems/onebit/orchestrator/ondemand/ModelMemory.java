package systems.onebit.orchestrator.ondemand;

import systems.onebit.orchestrator.gguf.GgufFile;
import systems.onebit.orchestrator.gguf.GgufReader;
import systems.onebit.orchestrator.gguf.MemoryEstimate;
import systems.onebit.orchestrator.registry.ModelEntry;

/** The memory a registered model takes when llama-server runs it with the entry's context and slots. */
public final class ModelMemory {

    private ModelMemory() {
    }

    /** Context per slot that a backend for {@code entry} gets: the entry's, else the model's own. */
    public static long contextPerSlot(ModelEntry entry, GgufFile model) {
        return entry.context() > 0 ? entry.context() : Math.max(1, model.contextLength());
    }

    public static MemoryEstimate estimate(ModelEntry entry, long overheadBytes) {
        GgufFile model = GgufReader.read(entry.path());
        return MemoryEstimate.of(model, contextPerSlot(entry, model), entry.parallel(), 2.0, overheadBytes);
    }

    public static MemoryEstimate estimate(ModelEntry entry) {
        return estimate(entry, MemoryEstimate.DEFAULT_OVERHEAD);
    }
}
