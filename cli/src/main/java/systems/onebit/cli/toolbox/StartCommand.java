package systems.onebit.cli.toolbox;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;

@Command(name = "start", mixinStandardHelpOptions = true,
        description = "Start toolbox backends; each name is reported on its own line.")
public final class StartCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "NAME", completionCandidates = systems.onebit.cli.LiveNames.Toolboxes.class, description = "Toolbox names.")
    List<String> names;

    private final CliContext context;

    public StartCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        return Reports.print(context, Reports.each(names, context.toolboxes()::start));
    }
}
