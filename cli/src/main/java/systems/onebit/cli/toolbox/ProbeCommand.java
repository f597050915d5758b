package systems.onebit.cli.toolbox;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.Output;
import systems.onebit.orchestrator.toolbox.ProbeReport;

@Command(name = "probe", mixinStandardHelpOptions = true,
        description = "Wait for a toolbox backend's health path to answer, then list its models.")
public final class ProbeCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NAME", completionCandidates = systems.onebit.cli.LiveNames.Toolboxes.class, description = "Toolbox name.")
    String name;

    @Option(names = "--timeout", defaultValue = "120", paramLabel = "SECONDS",
            description = "Seconds to wait for health (default: ${DEFAULT-VALUE}; loading a large model takes a while).")
    double timeoutSeconds;

    @Option(names = "--json", description = "Print JSON: {name, url, healthyAfterMs, models}.")
    boolean json;

    private final CliContext context;

    public ProbeCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        ProbeReport report = context.toolboxes().probe(name, Duration.ofMillis((long) (timeoutSeconds * 1000)));
        Output out = new Output(context.out(), context.env());
        if (json) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", report.name());
            row.put("url", report.url().toString());
            row.put("healthyAfterMs", report.healthyAfter().toMillis());
            row.put("models", report.models());
            out.json(row);
        } else {
            out.line(name + ": healthy at " + report.url() + " after " + report.healthyAfter().toMillis() + " ms; models: "
                    + (report.models().isEmpty() ? "(none)" : String.join(", ", report.models())));
        }
        return 0;
    }
}
