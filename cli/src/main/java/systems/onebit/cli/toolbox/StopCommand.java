package systems.onebit.cli.toolbox;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;

@Command(name = "stop", mixinStandardHelpOptions = true,
        description = "Stop toolbox backends: SIGTERM, then SIGKILL after --time seconds.")
public final class StopCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "NAME", completionCandidates = systems.onebit.cli.LiveNames.Toolboxes.class, description = "Toolbox names.")
    List<String> names;

    @Option(names = {"-t", "--time"}, paramLabel = "SECONDS", defaultValue = "10",
            description = "Seconds to wait before killing (default: ${DEFAULT-VALUE}).")
    int seconds;

    private final CliContext context;

    public StopCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        return Reports.print(context, Reports.each(names, n -> context.toolboxes().stop(n, Duration.ofSeconds(seconds))));
    }
}
