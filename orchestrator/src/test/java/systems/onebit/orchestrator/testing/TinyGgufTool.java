package systems.onebit.orchestrator.testing;

import java.nio.file.Path;

/**
 * Writes a test GGUF for scripts (bench/): {@code TinyGgufTool OUT.gguf [seed [embedding layers context]]}. The
 * defaults give a tiny, very fast model; a wider and deeper one generates at speeds closer to a real model's.
 */
public final class TinyGgufTool {
    private TinyGgufTool() {
    }

    public static void main(String[] args) throws Exception {
        TinyGguf model = new TinyGguf().seed(args.length > 1 ? Long.parseLong(args[1]) : 42);
        if (args.length > 4) {
            model.embedding(Integer.parseInt(args[2])).layers(Integer.parseInt(args[3])).context(Integer.parseInt(args[4]));
        }
        model.write(Path.of(args[0]));
    }
}
