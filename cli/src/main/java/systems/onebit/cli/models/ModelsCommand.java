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
import systems.onebit.orchestrator.ondemand.ModelMemory;
import systems.onebit.orchestrator.pull.ModelPurge;

@Command(name = "models", mixinStandardHelpOptions = true, description = "GGUF model files.",
        subcommands = {ModelsCommand.Add.class, ModelsCommand.ListModels.class, ModelsCommand.Remove.class,
                FitCommand.class, ModelsCommand.Inspect.class, ModelsRunning.class, ModelsRunning.Unload.class,
                CatalogCommand.class})
public final class ModelsCommand {

    static double cacheBytes(String cacheType) {
        return switch (cacheType) {
            case "f16", "bf16" -> 2.0;
            case "q8_0" -> 34.0 / 32;
            case "q4_0" -> 18.0 / 32;
            case "f32" -> 4.0;
            default -> throw systems.onebit.orchestrator.OrchestratorException.invalid("unknown cache type '" + cacheType + "'",
                    "use f16, q8_0, q4_0 or f32");
        };
    }

    static String gib(long bytes) {
        return String.format("%.2f GiB", bytes / (double) (1L << 30));
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Register a GGUF model under an alias that apps ask for (the file is read and checked first).",
                    "Exit code 0; 3 no such file; 4 alias taken; 7 not a usable GGUF file."})
    public static final class Add implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "PATH", description = "The .gguf file.")
        Path path;

        @Option(names = "--alias", paramLabel = "A", description = "The name apps use (default: the file name without .gguf).")
        String alias;

        @Option(names = "--ctx", defaultValue = "0", paramLabel = "TOKENS", description = "Context per slot (default: the model's own).")
        long tokensPerSlot;

        @Option(names = "--parallel", defaultValue = "1", paramLabel = "N", description = "llama-server slots (default ${DEFAULT-VALUE}).")
        int parallel;

        @Option(names = "--flavor", defaultValue = "vulkan-radv", paramLabel = "F", description = "Toolbox flavor (default ${DEFAULT-VALUE}).",
                completionCandidates = systems.onebit.cli.toolbox.FlavorCandidates.class)
        String flavor;

        @Option(names = "--pin", description = "Never unload it, neither to make room for another model nor when idle.")
        boolean pinned;

        @Option(names = "--rpc", paramLabel = "HOST:PORT", description = "An RPC worker its llama-server offloads layers to "
                + "(repeatable): becomes --rpc h1:p1,h2:p2 on its command; `models fit` counts the workers' memory.")
        List<String> rpc = new java.util.ArrayList<>();

        @Option(names = "--ttl", paramLabel = "DURATION", converter = systems.onebit.cli.DurationConverter.class,
                description = "Unload it after this long unused (default: the proxy's --idle-ttl), e.g. 30m.")
        java.time.Duration ttl;

        private final CliContext context;

        public Add(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            Path file = path.toAbsolutePath().normalize();
            GgufFile model = GgufReader.read(file);
            context.catalog().get(flavor);
            String name = alias != null ? alias : file.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
            var entry = new systems.onebit.orchestrator.registry.ModelEntry(name, file, tokensPerSlot, flavor, parallel, pinned,
                    ttl == null ? 0 : Math.max(1, ttl.toSeconds()), rpc);
            context.registry().update(r -> r.withModel(entry));
            context.out().println("added " + name + " (" + model.architecture() + ", " + gib(ModelMemory.estimate(entry).total())
                    + " estimated) from " + file);
            return 0;
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "The registered models.")
    public static final class ListModels implements Callable<Integer> {
        @Option(names = "--json", description = "Print [{alias, path, context, parallel, flavor, pinned, estimateBytes}].")
        boolean json;

        private final CliContext context;

        public ListModels(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            List<Map<String, Object>> rows = new java.util.ArrayList<>();
            for (var m : context.registry().read().models()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("alias", m.alias());
                row.put("path", m.path().toString());
                row.put("context", m.context());
                row.put("parallel", m.parallel());
                row.put("flavor", m.flavor());
                row.put("pinned", m.pinned());
                long bytes;
                try {
                    bytes = ModelMemory.estimate(m).total();
                } catch (systems.onebit.orchestrator.OrchestratorException e) {
                    bytes = -1;  // the file went away or changed: shown, not fatal for a listing
                }
                row.put("estimateBytes", bytes < 0 ? null : bytes);
                rows.add(row);
            }
            Output out = new Output(context.out(), context.env());
            if (json) {
                out.json(rows);
                return 0;
            }
            List<List<String>> table = new java.util.ArrayList<>();
            table.add(List.of("ALIAS", "FLAVOR", "CTX", "SLOTS", "PINNED", "ESTIMATE", "PATH"));
            for (var r : rows) {
                table.add(List.of((String) r.get("alias"), (String) r.get("flavor"), r.get("context").toString(),
                        r.get("parallel").toString(), (Boolean) r.get("pinned") ? "yes" : "no",
                        r.get("estimateBytes") == null ? "unreadable" : gib((Long) r.get("estimateBytes")), (String) r.get("path")));
            }
            out.table(table);
            return 0;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = "Forget a registered model; the files stay unless --purge.")
    public static final class Remove implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ALIAS")
        String alias;

        @Option(names = "--purge", description = "Also delete its files (every shard; in the Hugging Face cache the blob "
                + "and its link) when no other registered model or toolbox uses them.")
        boolean purge;

        private final CliContext context;

        public Remove(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            var removed = context.registry().read().model(alias);
            var remaining = context.registry().update(r -> r.withoutModel(alias));
            context.out().println("removed " + alias);
            if (purge && removed.isPresent()) {
                List<Path> deleted = ModelPurge.purge(removed.get(), remaining);
                deleted.forEach(p -> context.out().println("deleted " + p));
                if (deleted.isEmpty()) {
                    context.out().println("kept its files: another registered model uses them");
                }
            }
            return 0;
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true,
            description = {"Read a GGUF file's header (safely: any file is either read or refused with a reason) and "
                    + "estimate the memory llama-server needs for it.",
                    "Exit code 0; 3 no such file; 7 not a usable GGUF file."})
    public static final class Inspect implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "PATH", description = "The .gguf file.")
        Path path;

        @Option(names = "--ctx", defaultValue = "0", paramLabel = "TOKENS",
                description = "Context per slot for the estimate (default: the model's own context length).")
        long tokensPerSlot;

        @Option(names = "--parallel", defaultValue = "1", paramLabel = "N", description = "Parallel slots (default ${DEFAULT-VALUE}).")
        int parallel;

        @Option(names = "--cache-type", defaultValue = "f16", paramLabel = "TYPE",
                description = "KV cache element type: f16 (default), q8_0, q4_0.")
        String cacheType;

        @Option(names = "--json", description = "Print the header summary and the estimate as JSON.")
        boolean json;

        private final CliContext context;

        public Inspect(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            GgufFile model = GgufReader.read(path);
            double cacheBytes = cacheBytes(cacheType);
            long tokens = tokensPerSlot > 0 ? tokensPerSlot : Math.max(1, model.contextLength());
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
            Output out = new Output(context.out(), context.env());
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
