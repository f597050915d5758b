package systems.onebit.cli.toolbox;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;

@Command(name = "exec", mixinStandardHelpOptions = true,
        description = "Run a command inside a running toolbox backend; exits with the command's exit code.")
public final class ExecCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NAME", completionCandidates = systems.onebit.cli.LiveNames.Toolboxes.class, description = "Toolbox name.")
    String name;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "Command and arguments, after --.")
    List<String> command;

    private final CliContext context;

    public ExecCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        return context.toolboxes().exec(name, command, context.out(), context.err());
    }
}
