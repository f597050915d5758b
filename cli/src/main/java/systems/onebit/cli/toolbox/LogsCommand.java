package systems.onebit.cli.toolbox;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;

@Command(name = "logs", mixinStandardHelpOptions = true, description = "Print a toolbox backend's log.")
public final class LogsCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NAME", completionCandidates = systems.onebit.cli.LiveNames.Toolboxes.class, description = "Toolbox name.")
    String name;

    @Option(names = {"-f", "--follow"}, description = "Keep printing until the container stops (Ctrl-C ends).")
    boolean follow;

    private final CliContext context;

    public LogsCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        context.toolboxes().logs(name, follow, context.out(), context.err());
        return 0;
    }
}
