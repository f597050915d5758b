package systems.onebit.cli.toolbox;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;
import systems.onebit.orchestrator.toolbox.FlavorBuilds;

@Command(name = "build", mixinStandardHelpOptions = true,
        description = {"Build a flavor whose image is built here, not pulled (its manifest names a Containerfile), "
                + "and tag it with the manifest's image.",
                "rocm-7.14-ternary: llama.cpp with 1bit's ternary kernels for gfx1151 (compiles llama.cpp; needs the "
                        + "network for the base images, AMD's packages and the llama.cpp source)."})
public final class BuildCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FLAVOR", completionCandidates = FlavorCandidates.class,
            description = "A built flavor (see `1bit toolbox flavors`).")
    String flavor;

    private final CliContext context;

    public BuildCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        String image = new FlavorBuilds(context::catalog, context.engine()).build(flavor, context.err()::println);
        context.out().println("built " + image + " (flavor " + flavor + "); create a toolbox with "
                + "`1bit toolbox create NAME --flavor " + flavor + " --model PATH`");
        return 0;
    }
}
