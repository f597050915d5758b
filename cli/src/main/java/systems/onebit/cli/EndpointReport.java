package systems.onebit.cli;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import systems.onebit.orchestrator.bench.EndpointBench;
import systems.onebit.orchestrator.registry.Registry;

/** `1bit bench --endpoint`: the rounds of {@link EndpointBench} against this host's proxy, as a table or JSON. */
final class EndpointReport {

    private final CliContext context;

    EndpointReport(CliContext context) {
        this.context = context;
    }

    int run(String requestedModel, int streams, int maxTokens, Duration timeout, boolean json) throws InterruptedException {
        if (streams < 1 || maxTokens < 1) {
            throw ExitException.usage("--streams and -n must be 1 or more with --endpoint");
        }
        Registry registry = context.registry().read();
        String host = registry.proxyHost().equals("0.0.0.0") ? "127.0.0.1" : registry.proxyHost();
        URI base = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + registry.proxyPort());
        EndpointBench bench = new EndpointBench(base, context.env().getOrDefault("ONEBIT_API_KEY", ""));
        String model = requestedModel != null ? requestedModel : bench.firstModel();
        if (!json) {
            context.err().println("measuring " + model + " on " + base + ": " + maxTokens + " tokens per stream, 1 stream, then "
                    + streams);
        }
        bench.round(model, 1, Math.min(8, maxTokens), timeout);  // warm-up: the model loaded, caches filled
        List<EndpointBench.Round> rounds = new ArrayList<>();
        rounds.add(bench.round(model, 1, maxTokens, timeout));
        if (streams > 1) {
            rounds.add(bench.round(model, streams, maxTokens, timeout));
        }
        int failed = 0;
        List<Map<String, Object>> rows = new ArrayList<>();
        List<List<String>> table = new ArrayList<>();
        table.add(List.of("STREAMS", "FIRST TOKEN ms", "t/s PER STREAM", "t/s TOTAL", "FAILED"));
        for (EndpointBench.Round r : rounds) {
            List<String> errors = r.results().stream().map(EndpointBench.Stream::error).filter(e -> !e.isEmpty()).toList();
            failed += errors.size();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("streams", r.streams());
            row.put("completed", r.completed().size());
            row.put("medianTtftMs", r.medianTtftMs());
            row.put("medianTokensPerSecond", r.medianTokensPerSecond());
            row.put("totalTokensPerSecond", r.totalTokensPerSecond());
            row.put("errors", errors);
            rows.add(row);
            table.add(List.of(Integer.toString(r.streams()), BenchCommand.fixed(r.medianTtftMs()),
                    BenchCommand.fixed(r.medianTokensPerSecond()), BenchCommand.fixed(r.totalTokensPerSecond()),
                    errors.isEmpty() ? "0" : errors.size() + ": " + errors.getFirst()));
        }
        Output out = new Output(context.out(), context.env());
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("endpoint", base.toString());
            doc.put("model", model);
            doc.put("rounds", rows);
            out.json(doc);
        } else {
            out.table(table);
        }
        return failed == 0 ? ExitCode.OK.code() : ExitCode.PARTIAL.code();
    }
}
