package systems.onebit.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print the shell completion script for bash, zsh or fish.",
                "bash: source <(1bit completion bash); fish: 1bit completion fish > ~/.config/fish/completions/1bit.fish"})
public final class CompletionCommand implements Callable<Integer> {

    enum Shell { bash, zsh, fish }

    @Parameters(index = "0", paramLabel = "SHELL", description = "bash, zsh or fish.")
    Shell shell;

    private final CliContext context;

    public CompletionCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        // The whole tree: this run only built the completion branch.
        var root = Main.commandLine(context);
        context.out().print(switch (shell) {
            case bash -> Completions.bash(root);
            case zsh -> Completions.zsh(root);
            case fish -> Completions.fish(root);
        });
        return 0;
    }
}
