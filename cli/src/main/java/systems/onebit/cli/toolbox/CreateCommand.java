package systems.onebit.cli.toolbox;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.ExitException;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.toolbox.CreateRequest;
import systems.onebit.orchestrator.toolbox.ToolboxService;

@Command(name = "create", mixinStandardHelpOptions = true,
        description = {"Create a toolbox backend container (not started) with the flavor's GPU passthrough.",
                "Checks first that the flavor's devices exist, the model is a readable GGUF file, the name and the port "
                        + "are free; nothing is created when a check fails."})
public final class CreateCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NAME", description = "Toolbox (container) name.")
    String name;

    @Option(names = "--flavor", required = true, paramLabel = "FLAVOR",
            description = "Flavor (see `1bit toolbox flavors`).", completionCandidates = FlavorCandidates.class)
    String flavor;

    @Option(names = "--model", paramLabel = "PATH",
            description = "GGUF model file (default: the first model of the registered backend NAME).")
    Path model;

    @Option(names = "--port", paramLabel = "PORT",
            description = "Port for llama-server (default: the registered backend's, else the flavor's, 13305).")
    int port;

    /** When to pull the flavor's image. */
    enum Pull { missing, never }

    @Option(names = "--pull", defaultValue = "missing", paramLabel = "WHEN",
            description = "Pull the image when it is missing (default), or never.")
    Pull pull;

    @Option(names = "--rpc-worker", description = "An RPC worker instead: the image's ggml-rpc-server (rpc-server in older "
            + "images) with the flavor's devices, lending this GPU to another host's llama-server (its --rpc). No model.")
    boolean rpcWorker;

    @Option(names = "--rpc-host", defaultValue = "127.0.0.1", paramLabel = "ADDR",
            description = "Address the RPC worker listens on (default ${DEFAULT-VALUE}; the protocol has no authentication: "
                    + "only a private link).")
    String rpcHost;

    @Option(names = "--rpc-port", defaultValue = "50052", paramLabel = "PORT", description = "The RPC worker's port (default ${DEFAULT-VALUE}).")
    int rpcPort;

    @Parameters(index = "1..*", paramLabel = "ARG", description = "Extra llama-server arguments, after --.")
    List<String> extraArgs = new ArrayList<>();

    private final CliContext context;

    public CreateCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        if (rpcWorker) {
            ToolboxService.Created worker = context.toolboxes().createRpcWorker(name, flavor, rpcHost, rpcPort,
                    pull == Pull.missing);
            worker.warnings().forEach(w -> context.err().println("1bit: warning: " + w));
            context.out().println("created RPC worker " + name + " (" + flavor + ", " + rpcHost + ":" + rpcPort
                    + "); start it with `1bit toolbox start " + name + "`, then give a head --rpc " + rpcHost + ":" + rpcPort);
            return 0;
        }
        Registry registry = context.registry().read();
        Backend registered = registry.find(name).filter(b -> b.kind() == systems.onebit.orchestrator.registry.BackendKind.TOOLBOX)
                .orElse(null);
        Path modelPath = model;
        if (modelPath == null) {
            if (registered == null || registered.models().isEmpty()) {
                throw ExitException.usage("create " + name + " needs --model PATH: llama-server needs a GGUF file "
                        + "(or register one with `1bit backends add " + name + " --kind toolbox --model PATH`)");
            }
            modelPath = Path.of(registered.models().getFirst());
        }
        int chosenPort = port != 0 ? port : registered != null ? registered.port() : 0;
        List<String> args = new ArrayList<>(registered == null ? List.of() : registered.args());
        args.addAll(extraArgs);
        ToolboxService toolboxes = context.toolboxes();
        ToolboxService.Created created = toolboxes.create(
                new CreateRequest(name, flavor, modelPath, chosenPort, args, pull == Pull.missing),
                line -> context.err().println(line));
        created.warnings().forEach(w -> context.err().println("1bit: warning: " + w));
        context.out().println("created " + created.toolbox().name() + " (" + created.toolbox().flavor() + ", "
                + created.toolbox().url() + "); start it with `1bit toolbox start " + name + "`");
        return 0;
    }
}
