package systems.onebit.cli.toolbox;

import picocli.CommandLine.Command;

@Command(name = "toolbox",
        mixinStandardHelpOptions = true,
        description = "Create, start, stop, inspect and remove llama.cpp toolbox backends (Podman containers).",
        subcommands = {FlavorsCommand.class, CreateCommand.class, ListCommand.class, StartCommand.class,
                StopCommand.class, RestartCommand.class, RmCommand.class, LogsCommand.class, EnterCommand.class,
                ExecCommand.class, ProbeCommand.class, BuildCommand.class})
public final class ToolboxCommand {
}
