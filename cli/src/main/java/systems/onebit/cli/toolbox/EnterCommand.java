package systems.onebit.cli.toolbox;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.ExitCode;
import systems.onebit.cli.ExitException;
import systems.onebit.orchestrator.engine.EngineLocator;

@Command(name = "enter", mixinStandardHelpOptions = true,
        description = "Open an interactive shell inside a running toolbox backend (like `toolbox enter`).")
public final class EnterCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NAME", completionCandidates = systems.onebit.cli.LiveNames.Toolboxes.class, description = "Toolbox name.")
    String name;

    @Option(names = "--shell", defaultValue = "/bin/bash", description = "Shell to run (default: ${DEFAULT-VALUE}, "
            + "falling back to /bin/sh).")
    String shell;

    private final CliContext context;

    public EnterCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        context.toolboxes().exec(name, List.of("true"), java.io.OutputStream.nullOutputStream(),
                java.io.OutputStream.nullOutputStream());
        // A terminal session needs a real TTY, which only the podman CLI gives; arguments go as a list, no shell.
        String podman = EngineLocator.findPodman(context.env()).map(Object::toString).orElseThrow(() ->
                ExitException.of(ExitCode.ENGINE_UNAVAILABLE, "podman is not on PATH: install Podman"));
        boolean tty = System.console() != null;
        List<String> argv = List.of(podman, "exec", "-i" + (tty ? "t" : ""), name, "/bin/sh", "-c",
                "if [ -x \"$0\" ]; then exec \"$0\" -l; else exec /bin/sh -l; fi", shell);
        Process process = new ProcessBuilder(argv).inheritIO().start();
        return process.waitFor();
    }
}
