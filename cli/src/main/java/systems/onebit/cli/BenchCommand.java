package systems.onebit.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.bench.BenchService;
import systems.onebit.orchestrator.toolbox.OneShot;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure a model in each flavor's image with llama-bench (-o json), with the devices and mounts a "
                + "backend gets: prompt processing and generation tokens/s per flavor, and the change since the previous "
                + "run of the same model and flavor (runs kept in $XDG_DATA_HOME/1bit/bench/runs.jsonl with date and image).",
                "MODEL: a registered alias or a .gguf path. Exit code 0 every flavor measured; 9 some failed (each says why).",
                "--endpoint [MODEL]: the live endpoint through the proxy instead: time to the first token and tokens/s "
                        + "of streaming chats, one stream and then --streams at once (MODEL: default the first the proxy "
                        + "lists; ONEBIT_API_KEY sent when set). Exit code 9 when some stream failed."})
public final class BenchCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL")
    String model;

    @Option(names = "--endpoint", description = "Measure the live endpoint through the proxy (see above).")
    boolean endpoint;

    @Option(names = "--streams", defaultValue = "4", paramLabel = "N", description = "With --endpoint: concurrent streams of the second round (default ${DEFAULT-VALUE}).")
    int streams;

    @Option(names = "--flavor", paramLabel = "F", description = "Flavors to compare (repeatable; default: vulkan-radv and rocm-7.14).",
            completionCandidates = systems.onebit.cli.toolbox.FlavorCandidates.class)
    List<String> flavors = new ArrayList<>();

    @Option(names = "-p", defaultValue = "512", paramLabel = "N", description = "Prompt tokens (default ${DEFAULT-VALUE}).")
    int prompt;

    @Option(names = "-n", defaultValue = "128", paramLabel = "N", description = "Generated tokens (default ${DEFAULT-VALUE}).")
    int generate;

    @Option(names = "--timeout", defaultValue = "1800", paramLabel = "SECONDS", description = "Per flavor (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--json", description = "Print {runs: [{flavor, image, model, promptTokensPerSecond, generateTokensPerSecond, previous…} | {flavor, error, hint}]}; "
            + "with --endpoint {endpoint, model, rounds: [{streams, completed, medianTtftMs, medianTokensPerSecond, totalTokensPerSecond, errors}]}.")
    boolean json;

    private final CliContext context;

    public BenchCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws InterruptedException {
        if (endpoint) {
            return new EndpointReport(context).run(model, streams, generate, Duration.ofSeconds(timeoutSeconds), json);
        }
        if (model == null) {
            throw ExitException.usage("give the MODEL to measure (a registered alias or a .gguf path), or --endpoint");
        }
        if (prompt < 0 || generate < 0 || prompt + generate == 0) {
            throw ExitException.usage("-p and -n must be 0 or more, not both 0");
        }
        Path file = context.registry().read().model(model).map(m -> m.path()).orElse(Path.of(model));
        List<String> chosen = flavors.isEmpty() ? List.of("vulkan-radv", "rocm-7.14") : flavors;
        chosen.forEach(f -> context.catalog().get(f));
        BenchService bench = new BenchService(context::catalog, new OneShot(context.toolboxes(), context.engine()),
                context.dataDir().resolve("bench/runs.jsonl"));
        List<BenchService.Outcome> outcomes = bench.bench(file.toAbsolutePath(), chosen, prompt, generate,
                Duration.ofSeconds(timeoutSeconds), json ? line -> { } : line -> context.err().println(line));
        Output out = new Output(context.out(), context.env());
        List<Map<String, Object>> rows = new ArrayList<>();
        List<List<String>> table = new ArrayList<>();
        table.add(List.of("FLAVOR", "PROMPT t/s", "GENERATION t/s", "SINCE LAST RUN"));
        int failed = 0;
        for (BenchService.Outcome o : outcomes) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("flavor", o.flavor());
            switch (o) {
                case BenchService.Measured m -> {
                    row.put("image", m.run().image());
                    row.put("model", m.run().model());
                    row.put("promptTokensPerSecond", m.run().promptPerSecond());
                    row.put("generateTokensPerSecond", m.run().generatePerSecond());
                    row.put("previousPromptTokensPerSecond", m.previous().map(BenchService.Run::promptPerSecond).orElse(null));
                    row.put("previousGenerateTokensPerSecond", m.previous().map(BenchService.Run::generatePerSecond).orElse(null));
                    table.add(List.of(o.flavor(), fixed(m.run().promptPerSecond()), fixed(m.run().generatePerSecond()),
                            m.previous().map(p -> change(p.promptPerSecond(), m.run().promptPerSecond()) + " / "
                                    + change(p.generatePerSecond(), m.run().generatePerSecond())).orElse("first run")));
                }
                case BenchService.Failed f -> {
                    failed++;
                    OrchestratorException e = f.why();
                    row.put("error", e.getMessage());
                    row.put("hint", e.hint());
                    table.add(List.of(o.flavor(), "-", "-", out.style("red", "failed: " + e.getMessage())));
                }
            }
            rows.add(row);
        }
        if (json) {
            out.json(Map.of("runs", rows));
        } else {
            out.table(table);
        }
        return failed == 0 ? 0 : ExitCode.PARTIAL.code();
    }

    static String fixed(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String change(double before, double now) {
        return before <= 0 ? "-" : String.format(Locale.ROOT, "%+.1f %%", 100 * (now - before) / before);
    }
}
