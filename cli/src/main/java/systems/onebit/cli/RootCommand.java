package systems.onebit.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import systems.onebit.cli.backends.BackendsCommand;
import systems.onebit.cli.toolbox.ToolboxCommand;

@Command(name = "1bit",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Local LLM inference on AMD Strix Halo: toolbox backends, one OpenAI-compatible endpoint.",
        footerHeading = "%nExit codes:%n")
public final class RootCommand {

    /**
     * The subcommands, in help order. Registered by {@link Main#commandLine} rather than in the annotation so that a
     * run builds picocli's reflective model only for the branch it invokes (start-up time).
     */
    static final Map<String, Class<?>> SUBCOMMANDS = subcommands();

    private static Map<String, Class<?>> subcommands() {
        Map<String, Class<?>> map = new LinkedHashMap<>();
        map.put("toolbox", ToolboxCommand.class);
        map.put("backends", BackendsCommand.class);
        map.put("doctor", DoctorCommand.class);
        map.put("up", systems.onebit.cli.stack.UpCommand.class);
        map.put("down", systems.onebit.cli.stack.DownCommand.class);
        map.put("status", StatusCommand.class);
        map.put("logs", LogsCommand.class);
        map.put("cluster", ClusterCommand.class);
        map.put("export", ExportCommand.class);
        map.put("bench", BenchCommand.class);
        map.put("models", systems.onebit.cli.models.ModelsCommand.class);
        map.put("pull", systems.onebit.cli.models.PullCommand.class);
        map.put("proxy", ProxyCommand.class);
        map.put("npu", systems.onebit.cli.lanes.NpuCommand.class);
        map.put("webui", systems.onebit.cli.apps.WebuiCommand.class);
        map.put("gaia", systems.onebit.cli.apps.GaiaCommand.class);
        map.put("completion", CompletionCommand.class);
        map.put("aot-train", AotTrainCommand.class);
        map.put("complete-names", LiveNames.class);
        return map;
    }
}
