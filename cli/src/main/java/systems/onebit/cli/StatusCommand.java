package systems.onebit.cli;

import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import systems.onebit.orchestrator.apps.LocalApps;
import systems.onebit.orchestrator.engine.EngineLocator;
import systems.onebit.orchestrator.status.ContainerListing;
import systems.onebit.orchestrator.status.StatusReport;
import systems.onebit.orchestrator.status.StatusReport.Component;
import systems.onebit.orchestrator.status.StatusService;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"One table of the whole stack: the proxy, every registered backend and toolbox container, "
                + "FastFlowLM, Open WebUI and GAIA, probed concurrently with short timeouts.",
                "Exit code 0: every counted component healthy; 10: some unhealthy (degraded); 11: none healthy (down). "
                        + "Counted: the proxy, enabled backends, and Open WebUI when installed. JSON schema: docs/status.md."})
public final class StatusCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print JSON (schema in docs/status.md).")
    boolean json;

    static final int DEFAULT_TIMEOUT_MS = 700;

    @Option(names = "--timeout", defaultValue = "" + DEFAULT_TIMEOUT_MS, paramLabel = "MS", description = "Probe timeout (default ${DEFAULT-VALUE} ms).")
    int timeoutMs;

    @Option(names = "--watch", arity = "0..1", fallbackValue = "2", paramLabel = "SECONDS",
            description = "Refresh every SECONDS (default 2) until interrupted.")
    Integer watchSeconds;

    @Option(names = "--count", paramLabel = "N", description = "With --watch: stop after N refreshes.")
    int count;

    private final CliContext context;

    public StatusCommand(CliContext context) {
        this.context = context;
    }

    /**
     * Starts collecting the status on a background thread before picocli has even built the command model (which
     * keeps the main thread busy for 50-90 ms at start-up, the second core idle): only when the arguments ask for
     * the default probes ({@code status} or {@code status --json}), so the command, once parsed, takes exactly the
     * rows it would have collected itself, a few milliseconds earlier. Changes nothing; errors surface in {@link #call}.
     */
    static void collectAhead(CliContext context, String... args) {
        if (args.length > 0 && args[0].equals("status") && Arrays.stream(args).skip(1).allMatch(a -> a.equals("--json"))) {
            context.ahead(StatusCommand.class, () -> service(context).collect(context.registry()::read,
                    Duration.ofMillis(DEFAULT_TIMEOUT_MS)));
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        Duration timeout = Duration.ofMillis(timeoutMs);
        if (watchSeconds == null) {
            StatusReport report = context.<StatusReport>takeAhead(StatusCommand.class)
                    .orElseGet(() -> service(context).collect(context.registry()::read, timeout));
            return render(report, false);
        }
        int code = 0;
        for (int round = 1; count == 0 || round <= count; round++) {
            code = render(service(context).collect(context.registry()::read, timeout), true);
            if (count != 0 && round == count) {
                break;
            }
            Thread.sleep(Duration.ofSeconds(Math.max(1, watchSeconds)));
        }
        return code;
    }

    /** Containers read from a Podman socket that already answers (never started for a status), else its CLI. */
    static StatusService service(CliContext context) {
        return new StatusService(new StatusService.Sources(context.env(), context.configDir(), context::keyEnvironment,
                ContainerListing.podmanSnapshot(context.locator().endpoints(), EngineLocator.findPodman(context.env())),
                () -> new LocalApps(context.env(), context.host()), registry -> context.lanes().gaia(registry)));
    }

    private int render(StatusReport report, boolean watching) {
        List<Component> rows = report.components();
        ExitCode code = switch (report.overall()) {
            case HEALTHY -> ExitCode.OK;
            case DEGRADED -> ExitCode.DEGRADED;
            case DOWN -> ExitCode.DOWN;
        };
        String state = report.overall().id();
        Output out = new Output(context.out(), context.env());
        if (json) {
            out.json(report.document());
        } else {
            if (watching && out.tty()) {
                context.out().print("\033[H\033[2J");
            }
            if (watching) {
                out.line("1bit status at " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS));
            }
            List<List<String>> table = new ArrayList<>();
            table.add(List.of("COMPONENT", "KIND", "ENDPOINT", "STATE", "HEALTH", "MODELS", "MS"));
            for (Component r : rows) {
                String colour = r.healthy() ? "green" : r.counts() ? "red" : "faint";
                table.add(List.of(r.name(), r.kind(), r.endpoint(), r.state(), out.style(colour, r.health()),
                        r.models() < 0 ? "-" : Integer.toString(r.models()), Long.toString(r.ms())));
            }
            out.table(table);
            out.line("overall: " + state);
        }
        context.out().flush();
        return code.code();
    }
}
