package systems.onebit.cli.models;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.Output;
import systems.onebit.orchestrator.gguf.MemoryEstimate;
import systems.onebit.orchestrator.ondemand.ModelMemory;
import systems.onebit.orchestrator.toolbox.RpcProbe;

@Command(name = "fit", mixinStandardHelpOptions = true,
        description = {"Whether the given registered models (default: all) fit in GPU-usable memory at once, and by how much.",
                "The budget is --budget, else GTT + VRAM as amdgpu reports them in /sys/class/drm; plus, for models "
                    + "that offload to RPC workers (`models add --rpc`), the free memory each worker reports.",
                "Exit code 0 fits; 5 does not fit (or no budget known)."})
public final class FitCommand implements Callable<Integer> {
    @Parameters(paramLabel = "ALIAS", arity = "0..*", description = "Models to fit together (default: all registered).")
    List<String> aliases = new ArrayList<>();

    @Option(names = "--budget", paramLabel = "GIB", description = "Memory budget in GiB (default: GTT + VRAM from sysfs).")
    Double budgetGib;

    @Option(names = "--json", description = "Print {budgetBytes, budgetSource, totalBytes, fits, marginBytes, models: [...], workers: [{address, freeBytes or note}]}.")
    boolean json;

    private final CliContext context;

    public FitCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        var registry = context.registry().read();
        List<systems.onebit.orchestrator.registry.ModelEntry> chosen = aliases.isEmpty() ? registry.models()
                : aliases.stream().map(a -> registry.model(a).orElseThrow(() -> systems.onebit.orchestrator.OrchestratorException
                        .notFound("no model with the alias '" + a + "'", "see `1bit models list`"))).toList();
        long budget;
        String source;
        if (budgetGib != null) {
            budget = (long) (budgetGib * (1L << 30));
            source = "--budget";
        } else {
            var gpu = systems.onebit.orchestrator.host.GpuMemory.read(context.host()).orElseThrow(() ->
                    systems.onebit.orchestrator.OrchestratorException.precondition(
                            "no GPU memory figures under /sys/class/drm (no amdgpu device)", "pass --budget GIB"));
            budget = gpu.usable();
            source = gpu.card() + " GTT " + ModelsCommand.gib(gpu.gtt()) + " + VRAM " + ModelsCommand.gib(gpu.vram());
        }
        // A model split over RPC workers also uses their memory: each worker counted once, as it reports itself.
        Map<String, RpcProbe.Outcome> workers = new LinkedHashMap<>();
        chosen.forEach(m -> m.rpc().forEach(w -> workers.computeIfAbsent(w, a -> RpcProbe.probe(a, Duration.ofSeconds(2)))));
        long lent = 0;
        List<Map<String, Object>> workerRows = new ArrayList<>();
        for (var w : workers.entrySet()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("address", w.getKey());
            switch (w.getValue()) {
                case RpcProbe.Outcome.Answered(RpcProbe.Report r) when r.understood() -> {
                    lent += r.free();
                    row.put("freeBytes", r.free());
                }
                case RpcProbe.Outcome.Answered(RpcProbe.Report r) -> row.put("note", "protocol " + r.version() + ": not counted");
                case RpcProbe.Outcome.Busy() -> row.put("note", "busy serving a head: not counted");
                case RpcProbe.Outcome.Unreadable(String why) -> row.put("note", why + ": not counted");
                case RpcProbe.Outcome.Unreachable(String why) -> row.put("note", "down (" + why + "): not counted");
            }
            workerRows.add(row);
        }
        if (!workers.isEmpty()) {
            budget += lent;
            source += " + RPC workers' free " + ModelsCommand.gib(lent);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        long total = 0;
        for (var m : chosen) {
            MemoryEstimate e = ModelMemory.estimate(m);
            total += e.total();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("alias", m.alias());
            row.put("weightsBytes", e.weights());
            row.put("kvCacheBytes", e.kvCache());
            row.put("overheadBytes", e.overhead());
            row.put("totalBytes", e.total());
            rows.add(row);
        }
        boolean fits = total <= budget;
        Output out = new Output(context.out(), context.env());
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("budgetBytes", budget);
            doc.put("budgetSource", source);
            doc.put("totalBytes", total);
            doc.put("fits", fits);
            doc.put("marginBytes", budget - total);
            doc.put("models", rows);
            doc.put("workers", workerRows);
            out.json(doc);
        } else {
            List<List<String>> table = new ArrayList<>();
            table.add(List.of("MODEL", "WEIGHTS", "KV CACHE", "OVERHEAD", "TOTAL"));
            for (var r : rows) {
                table.add(List.of((String) r.get("alias"), ModelsCommand.gib((Long) r.get("weightsBytes")), ModelsCommand.gib((Long) r.get("kvCacheBytes")),
                        ModelsCommand.gib((Long) r.get("overheadBytes")), ModelsCommand.gib((Long) r.get("totalBytes"))));
            }
            out.table(table);
            workerRows.forEach(w -> out.line("RPC worker " + w.get("address") + ": " + (w.containsKey("freeBytes")
                    ? ModelsCommand.gib((Long) w.get("freeBytes")) + " free" : w.get("note"))));
            out.line((fits ? "fits: " + ModelsCommand.gib(budget - total) + " to spare" : "does not fit: short by " + ModelsCommand.gib(total - budget))
                    + " (needs " + ModelsCommand.gib(total) + " of " + ModelsCommand.gib(budget) + ", budget from " + source + ")");
        }
        return fits ? 0 : systems.onebit.cli.ExitCode.PRECONDITION.code();
    }
}
