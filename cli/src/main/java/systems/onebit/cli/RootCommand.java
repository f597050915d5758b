package systems.onebit.cli;

import picocli.CommandLine.Command;
import systems.onebit.cli.backends.BackendsCommand;
import systems.onebit.cli.toolbox.ToolboxCommand;

@Command(name = "1bit",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Local LLM inference on AMD Strix Halo: toolbox backends, one OpenAI-compatible endpoint.",
        subcommands = {ToolboxCommand.class, BackendsCommand.class, DoctorCommand.class, StatusCommand.class, ProxyCommand.class,
                CompletionCommand.class,
                AotTrainCommand.class},
        footerHeading = "%nExit codes:%n")
public final class RootCommand {
}
