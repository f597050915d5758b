package systems.onebit.cli.stack;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;
import systems.onebit.orchestrator.stack.StackReport;

@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Bring the stack up: create and start every enabled toolbox backend (or the NAMEs) in parallel, "
                + "wait until each is healthy, then start the proxy (its systemd unit when installed, else a detached "
                + "process with a pid and log file under $XDG_STATE_HOME/1bit).",
                "Idempotent: what is already up is left alone. A backend that does not become healthy is stopped again.",
                "Exit code 0 when every component is up; 9 when some failed (see the lines); a failure's own code when all failed alike."})
public final class UpCommand implements Callable<Integer> {

    @Parameters(paramLabel = "NAME", arity = "0..*", completionCandidates = systems.onebit.cli.LiveNames.Backends.class,
            description = "Toolbox backends to bring up (default: every enabled one).")
    List<String> names = new ArrayList<>();

    @Option(names = "--no-proxy", description = "Leave the proxy alone.")
    boolean noProxy;

    @Option(names = "--timeout", defaultValue = "300", paramLabel = "SECONDS",
            description = "How long each component may take to become healthy (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--json", description = "Print {components: [{component, outcome: changed|unchanged|failed, detail | error, hint, exitCode}]}.")
    boolean json;

    private final CliContext context;

    public UpCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        List<StackReport> reports = context.stack().up(names, !noProxy, Duration.ofSeconds(timeoutSeconds),
                json ? line -> { } : StackReports.progress(context));
        return StackReports.print(context, reports, json);
    }
}
