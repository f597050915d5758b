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
 * {@code npu down}, {@code webui down}, {@code gaia down}: stops the lane, then disables it in the registry (so
 * {@code up} leaves it off until its own {@code up}); one report line, as {@code down} prints it.
 */
public abstract class LaneDown implements Callable<Integer> {

    @Option(names = "--json", description = "Print {components: [...]} as `down` does.")
    boolean json;

    private final CliContext context;

    protected LaneDown(CliContext context) {
        this.context = context;
    }

    /** The lane, as the registry has it now. */
    protected abstract Lane lane(Lanes lanes, Registry registry);

    /** The registry with the lane disabled. */
    protected abstract Registry disabled(Registry registry);

    @Override
    public Integer call() {
        Registry registry = context.registry().read();
        var report = lane(context.lanes(), registry).down(Duration.ofSeconds(20));
        context.registry().update(this::disabled);
        return StackReports.print(context, List.of(report), json);
    }
}
