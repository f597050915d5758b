package systems.onebit.cli.toolbox;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;

@Command(name = "rm", mixinStandardHelpOptions = true,
        description = "Remove toolbox backends; a running one only with --force.")
public final class RmCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "NAME", completionCandidates = systems.onebit.cli.LiveNames.Toolboxes.class, description = "Toolbox names.")
    List<String> names;

    @Option(names = {"-f", "--force"}, description = "Kill and remove running toolboxes too.")
    boolean force;

    private final CliContext context;

    public RmCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        return Reports.print(context, Reports.each(names, n -> context.toolboxes().remove(n, force)));
    }
}
