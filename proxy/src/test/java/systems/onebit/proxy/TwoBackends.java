package systems.onebit.proxy;

import java.nio.file.Path;
import java.util.List;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.testing.LlamaServer;
import systems.onebit.orchestrator.testing.TinyGguf;

/**
 * Two real llama-servers with different generated models: "alpha" (backend a) and "beta" (backend b, which also
 * serves embeddings), and a registry naming them.
 */
final class TwoBackends implements AutoCloseable {

    final LlamaServer alpha;
    final LlamaServer beta;
    final Registry registry;

    TwoBackends(Path dir, long seed) throws Exception {
        alpha = LlamaServer.start(new TinyGguf().seed(seed).write(dir.resolve("alpha.gguf")), "alpha", dir);
        beta = LlamaServer.start(new TinyGguf().seed(seed + 1).write(dir.resolve("beta.gguf")), "beta", dir, 512,
                List.of("--embeddings", "--pooling", "mean"));
        registry = new Registry("127.0.0.1", 13306, "a", List.of(
                new Backend("a", BackendKind.OPENAI, alpha.url(), "", List.of(), List.of(), 100, true),
                new Backend("b", BackendKind.OPENAI, beta.url(), "", List.of(), List.of(), 100, true)));
    }

    @Override
    public void close() {
        alpha.close();
        beta.close();
    }
}
