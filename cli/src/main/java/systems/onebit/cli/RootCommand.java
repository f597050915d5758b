package systems.onebit.cli;

import picocli.CommandLine.Command;
import systems.onebit.cli.backends.BackendsCommand;
import systems.onebit.cli.toolbox.ToolboxCommand;

@Command(name = "1bit",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Local LLM inference on AMD Strix Halo: toolbox backends, one OpenAI-compatible endpoint.",
        subcommands = {ToolboxCommand.class, BackendsCommand.class, DoctorCommand.class, StatusCommand.class,
                AotTrainCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {"  0 ok  1 internal error  2 usage  3 not found  4 conflict  5 precondition  6 podman unavailable",
                "  7 invalid config  8 timeout  9 partial failure  10 degraded  11 down  12 I/O error"})
public final class RootCommand {
}
