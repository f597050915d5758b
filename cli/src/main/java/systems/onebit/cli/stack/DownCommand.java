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

@Command(name = "down", mixinStandardHelpOptions = true,
        description = {"Take the stack down in the reverse order of `up`: the proxy first (unless NAMEs are given), "
                + "then the toolbox backends' containers (stopped, not removed).",
                "Exit code 0 when every component is down; 9 when some failed."})
public final class DownCommand implements Callable<Integer> {

    @Parameters(paramLabel = "NAME", arity = "0..*", completionCandidates = systems.onebit.cli.LiveNames.Backends.class,
            description = "Toolbox backends to stop (default: the proxy and every enabled backend).")
    List<String> names = new ArrayList<>();

    @Option(names = "--timeout", defaultValue = "30", paramLabel = "SECONDS",
            description = "How long the proxy may take to stop before it is killed (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--json", description = "Print the same document as `up --json`.")
    boolean json;

    private final CliContext context;

    public DownCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        List<StackReport> reports = context.stack().down(names, names.isEmpty(), Duration.ofSeconds(timeoutSeconds),
                json ? line -> { } : StackReports.progress(context));
        return StackReports.print(context, reports, json);
    }
}
