package systems.onebit.cli.lanes;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.stack.StackReports;
import systems.onebit.orchestrator.lanes.Lanes;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.stack.Lane;

/**
 * {@code npu up}, {@code webui up}, {@code gaia up}: enables (and configures) the lane in the registry, so {@code up}
 * starts it too, then starts it and waits for it; one report line, as {@code up} prints it.
 */
public abstract class LaneUp implements Callable<Integer> {

    @Option(names = "--json", description = "Print {components: [...]} as `up` does.")
    boolean json;

    private final CliContext context;

    protected LaneUp(CliContext context) {
        this.context = context;
    }

    /** Refuses bad options (an ExitException) before the registry is touched. */
    protected void validate() {
    }

    /** The registry with the lane enabled and configured from the options. */
    protected abstract Registry enabled(Registry registry);

    /** The lane, as the registry has it now. */
    protected abstract Lane lane(Lanes lanes, Registry registry);

    /** How long it may take to answer. */
    protected abstract Duration timeout();

    @Override
    public Integer call() {
        validate();
        Registry registry = context.registry().update(this::enabled);
        return StackReports.print(context, List.of(lane(context.lanes(), registry).up(timeout())), json);
    }
}
