package systems.onebit.cli.models;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.Output;
import systems.onebit.orchestrator.gguf.GgufFile;
import systems.onebit.orchestrator.gguf.GgufReader;
import systems.onebit.orchestrator.gguf.MemoryEstimate;

@Command(name = "models", mixinStandardHelpOptions = true, description = "GGUF model files.",
        subcommands = ModelsCommand.Inspect.class)
public final class ModelsCommand {

    @Command(name = "inspect", mixinStandardHelpOptions = true,
            description = {"Read a GGUF file's header (safely: any file is either read or refused with a reason) and "
                    + "estimate the memory llama-server needs for it.",
                    "Exit code 0; 3 no such file; 7 not a usable GGUF file."})
    public static final class Inspect implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "PATH", description = "The .gguf file.")
        Path path;

        @Option(names = "--ctx", defaultValue = "0", paramLabel = "TOKENS",
                description = "Context per slot for the estimate (default: the model's own context length).")
        long context;

        @Option(names = "--parallel", defaultValue = "1", paramLabel = "N", description = "Parallel slots (default ${DEFAULT-VALUE}).")
        int parallel;

        @Option(names = "--cache-type", defaultValue = "f16", paramLabel = "TYPE",
                description = "KV cache element type: f16 (default), q8_0, q4_0.")
        String cacheType;

        @Option(names = "--json", description = "Print the header summary and the estimate as JSON.")
        boolean json;

        private final CliContext context0;

        public Inspect(CliContext context) {
            this.context0 = context;
        }

        @Override
        public Integer call() {
            GgufFile model = GgufReader.read(path);
            double cacheBytes = switch (cacheType) {
                case "f16", "bf16" -> 2.0;
                case "q8_0" -> 34.0 / 32;
                case "q4_0" -> 18.0 / 32;
                case "f32" -> 4.0;
                default -> throw new picocli.CommandLine.ParameterException(
                        new picocli.CommandLine(this), "unknown --cache-type '" + cacheType + "': use f16, q8_0, q4_0 or f32");
            };
            long tokens = context > 0 ? context : Math.max(1, model.contextLength());
            MemoryEstimate estimate = MemoryEstimate.of(model, tokens, parallel, cacheBytes, MemoryEstimate.DEFAULT_OVERHEAD);
            Map<String, Long> types = new TreeMap<>();
            model.tensors().forEach(t -> types.merge(t.type().name(), t.bytes(), Long::sum));
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("path", model.path().toString());
            doc.put("version", model.version());
            doc.put("architecture", model.architecture());
            doc.put("name", model.string("general.name").orElse(""));
            doc.put("blockCount", model.blockCount());
            doc.put("embeddingLength", model.embeddingLength());
            doc.put("headCount", model.headCount());
            doc.put("headCountKv", model.headCountKv());
            doc.put("contextLength", model.contextLength());
            doc.put("tensors", model.tensors().size());
            doc.put("tensorBytesByType", types);
            Map<String, Object> memory = new LinkedHashMap<>();
            memory.put("context", tokens);
            memory.put("parallel", parallel);
            memory.put("cacheType", cacheType);
            memory.put("weightsBytes", estimate.weights());
            memory.put("kvCacheBytes", estimate.kvCache());
            memory.put("overheadBytes", estimate.overhead());
            memory.put("totalBytes", estimate.total());
            doc.put("memory", memory);
            Output out = new Output(context0.out(), context0.env());
            if (json) {
                out.json(doc);
                return 0;
            }
            out.table(List.of(List.of("FIELD", "VALUE"),
                    List.of("file", model.path() + " (GGUF v" + model.version() + ")"),
                    List.of("architecture", model.architecture() + (model.string("general.name").map(n -> " (" + n + ")").orElse(""))),
                    List.of("layers", Long.toString(model.blockCount())),
                    List.of("embedding", Long.toString(model.embeddingLength())),
                    List.of("heads / kv heads", model.headCount() + " / " + model.headCountKv()),
                    List.of("context length", Long.toString(model.contextLength())),
                    List.of("tensors", model.tensors().size() + " " + types.keySet()),
                    List.of("weights", mib(estimate.weights())),
                    List.of("kv cache", mib(estimate.kvCache()) + " (" + tokens + " tokens x " + parallel + " slots, " + cacheType + ")"),
                    List.of("total estimate", mib(estimate.total()) + " (incl. " + mib(estimate.overhead()) + " overhead)")));
            return 0;
        }

        private static String mib(long bytes) {
            return String.format("%.1f MiB", bytes / 1048576.0);
        }
    }
}
