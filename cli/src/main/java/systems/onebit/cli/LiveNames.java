package systems.onebit.cli;

import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.status.ContainerListing;
import systems.onebit.orchestrator.toolbox.Labels;

/**
 * Completion of live names. The candidates below yield one placeholder word; {@link Completions} turns it into a call
 * to the hidden {@code 1bit complete-names KIND} at the moment the user presses tab, so the checked-in scripts never
 * hold a snapshot of one machine's names.
 */
@Command(name = "complete-names", hidden = true, description = "Print live names for shell completion, one per line.")
public final class LiveNames implements Callable<Integer> {

    static final String PLACEHOLDER = "__1bit_live_";

    enum Kind { backends, toolboxes }

    @Parameters(index = "0")
    Kind kind;

    private final CliContext context;

    public LiveNames(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        try {
            List<String> names = switch (kind) {
                case backends -> context.registry().read().backends().stream().map(Backend::name).toList();
                // Read straight from a socket that already answers: a tab press must be quick and never start Podman.
                case toolboxes -> ContainerListing.podmanSnapshot(context.locator().endpoints(), java.util.Optional.empty())
                        .list(java.util.Map.of(Labels.BACKEND, ""), java.time.Duration.ofSeconds(2))
                        .orElse(List.of()).stream().map(c -> c.label(Labels.BACKEND)).sorted().toList();
            };
            names.forEach(context.out()::println);
        } catch (OrchestratorException e) {
            // Completion stays quiet: no names is the right answer when they cannot be read.
        }
        return 0;
    }

    /** Candidates for a backend name from the registry. */
    public static final class Backends implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of(PLACEHOLDER + Kind.backends).iterator();
        }
    }

    /** Candidates for a toolbox (container) name from Podman. */
    public static final class Toolboxes implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of(PLACEHOLDER + Kind.toolboxes).iterator();
        }
    }
}
