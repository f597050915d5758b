package systems.onebit.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.export.ExportService;
import systems.onebit.orchestrator.fs.LocalFiles;
import systems.onebit.orchestrator.host.HostPaths;
import systems.onebit.orchestrator.host.ProcessLimits;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write the toolbox backends and RPC workers as Podman Quadlet units or Kubernetes YAML: the same "
                + "containers `toolbox create` made (command, devices, groups, mounts, limits), run by systemd or a cluster.",
        subcommands = {ExportCommand.Quadlet.class, ExportCommand.Kube.class})
public final class ExportCommand {

    @Command(name = "quadlet", mixinStandardHelpOptions = true,
            description = {"One NAME.container per toolbox (Podman 4.4+ turns it into NAME.service) and 1bit.target, "
                    + "which wants them and 1bit-proxy.service.",
                    "Default directories: ~/.config/containers/systemd and ~/.config/systemd/user "
                            + "(as root: /etc/containers/systemd and /etc/systemd/system).",
                    "Exit code 3: a NAME is no toolbox; 4: a file there was not written by 1bit; 5: nothing to export; 12: a file cannot be written."})
    public static final class Quadlet implements Callable<Integer> {
        @Parameters(paramLabel = "NAME", arity = "0..*", completionCandidates = LiveNames.Toolboxes.class,
                description = "Toolboxes to export (default: every toolbox and RPC worker).")
        List<String> names = new ArrayList<>();

        @Option(names = "--dir", paramLabel = "DIR", description = "Write every file into DIR instead.")
        Path dir;

        private final CliContext context;

        public Quadlet(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            boolean root = ProcessLimits.read(HostPaths.real()).uid() == 0;
            Path config = context.configDir().getParent();
            Path containers = dir != null ? dir : root ? Path.of("/etc/containers/systemd") : config.resolve("containers/systemd");
            Path units = dir != null ? dir : root ? Path.of("/etc/systemd/system") : config.resolve("systemd/user");
            ExportService.Written written = new ExportService(context.engine()).quadlet(names, containers, units);
            Output out = new Output(context.out(), context.env());
            written.files().forEach(f -> out.line("wrote " + f));
            written.notes().forEach(n -> context.err().println("note: " + n));
            String user = root ? "" : "--user ";
            context.err().println("note: then `systemctl " + user + "daemon-reload && systemctl " + user
                    + "start 1bit.target` (Quadlet needs Podman 4.4 or later)");
            return ExitCode.OK.code();
        }
    }

    @Command(name = "kube", mixinStandardHelpOptions = true,
            description = {"A Pod per toolbox (host network, devices, groups, read-only model, readiness probe on the "
                    + "health path) for `podman kube play` or a cluster; printed, or written with -o.",
                    "Exit code 3: a NAME is no toolbox; 5: nothing to export; 12: the file cannot be written."})
    public static final class Kube implements Callable<Integer> {
        @Parameters(paramLabel = "NAME", arity = "0..*", completionCandidates = LiveNames.Toolboxes.class,
                description = "Toolboxes to export (default: every toolbox and RPC worker).")
        List<String> names = new ArrayList<>();

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the YAML to FILE (atomically).")
        Path output;

        private final CliContext context;

        public Kube(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            ExportService.Kube kube = new ExportService(context.engine()).kube(names);
            if (output == null) {
                context.out().print(kube.yaml());
            } else {
                try {
                    LocalFiles.replace(output.toAbsolutePath(), kube.yaml(), false);
                } catch (IOException e) {
                    throw new OrchestratorException(OrchestratorException.Reason.IO, "cannot write " + output + " (" + e.getMessage() + ")",
                            "choose a writable path with -o");
                }
                context.out().println("wrote " + output);
            }
            kube.notes().forEach(n -> context.err().println("note: " + n));
            return ExitCode.OK.code();
        }
    }
}
