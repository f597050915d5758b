package systems.onebit.orchestrator.testing;

import java.nio.file.Path;

/** Writes a tiny test GGUF for scripts (bench/): {@code TinyGgufTool OUT.gguf [seed]}. */
public final class TinyGgufTool {
    private TinyGgufTool() {
    }

    public static void main(String[] args) throws Exception {
        new TinyGguf().seed(args.length > 1 ? Long.parseLong(args[1]) : 42).write(Path.of(args[0]));
    }
}
