package systems.onebit.cli.models;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.Output;
import systems.onebit.orchestrator.host.GpuMemory;
import systems.onebit.orchestrator.pull.CatalogView;
import systems.onebit.orchestrator.pull.HfCache;
import systems.onebit.orchestrator.pull.HubClient;
import systems.onebit.orchestrator.pull.ModelCatalog;

@Command(name = "catalog", mixinStandardHelpOptions = true,
        description = {"Models known to run well on Strix Halo: size, whether each fits this host's GPU budget (and the "
                + "room left), whether it is already in the Hugging Face cache, and published generation speed with "
                + "its source. `1bit pull NAME` fetches one."})
public final class CatalogCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print {budgetBytes, budgetSource, models: [{name, ref, kind, bytes, fits, roomBytes, downloaded, flavor, context, tokensPerSecond, source, summary}]}.")
    boolean json;

    @Option(names = "--budget", paramLabel = "GIB", description = "GPU-usable memory to fit against (default: GTT + VRAM as amdgpu reports).")
    Double budgetGib;

    private final CliContext context;

    public CatalogCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        Optional<GpuMemory.Budget> budget = budgetGib != null
                ? Optional.of(new GpuMemory.Budget((long) (budgetGib * (1L << 30)), "--budget"))
                : GpuMemory.defaultBudget(context.host());
        HubClient.Settings hub = HubClient.Settings.fromEnvironment(context.env());
        List<CatalogView.Row> rows = new CatalogView(ModelCatalog.embedded(), HfCache.locate(context.env()),
                hub.endpoint().getHost()).rows(budget.map(GpuMemory.Budget::bytes));
        Output out = new Output(context.out(), context.env());
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("budgetBytes", budget.map(GpuMemory.Budget::bytes).orElse(null));
            doc.put("budgetSource", budget.map(GpuMemory.Budget::source).orElse(null));
            List<Map<String, Object>> models = new ArrayList<>();
            for (CatalogView.Row r : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", r.entry().name());
                m.put("ref", r.entry().ref());
                m.put("kind", r.entry().kind());
                m.put("bytes", r.entry().bytes());
                m.put("fits", r.room().isPresent() ? r.fits() : null);
                m.put("roomBytes", r.room().orElse(null));
                m.put("downloaded", r.downloaded());
                m.put("flavor", r.entry().flavor());
                m.put("context", r.entry().context());
                m.put("tokensPerSecond", r.entry().tokensPerSecond().orElse(null));
                m.put("source", r.entry().source().isEmpty() ? null : r.entry().source());
                m.put("summary", r.entry().summary());
                models.add(m);
            }
            doc.put("models", models);
            out.json(doc);
            return 0;
        }
        List<List<String>> table = new ArrayList<>();
        table.add(List.of("NAME", "SIZE", "FITS", "HERE", "TOKENS/S", "SUMMARY"));
        for (CatalogView.Row r : rows) {
            String fits = r.room().map(room -> room >= 0 ? "yes, " + gib(room) + " left" : "no, short " + gib(-room)).orElse("?");
            table.add(List.of(r.entry().name(), gib(r.entry().bytes()), fits, r.downloaded() ? "yes" : "no",
                    r.entry().tokensPerSecond().map(t -> String.format(Locale.ROOT, "%.0f", t)).orElse("-"), r.entry().summary()));
        }
        out.table(table);
        out.line(budget.map(b -> "budget: " + gib(b.bytes()) + " (" + b.source() + "), against the download size (the KV cache comes on top); tokens/s: llama-bench tg128 as "
                + "published (`--json` names each source)").orElse("budget unknown: pass --budget GIB"));
        return 0;
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
