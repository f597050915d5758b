package systems.onebit.orchestrator.status;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.engine.ContainerEngine;
import systems.onebit.orchestrator.engine.ContainerInfo;
import systems.onebit.orchestrator.engine.PodmanSnapshot;

/**
 * The read-only container listing status needs. Status must stay fast and never start an engine, so besides the
 * {@link ContainerEngine} port itself there is a raw-socket reading of an already answering Podman.
 */
@FunctionalInterface
public interface ContainerListing {

    /** Every container carrying all of {@code labels} (an empty value matches any); empty when no engine answers. */
    Optional<List<ContainerInfo>> list(Map<String, String> labels, Duration timeout);

    /** Through the port. */
    static ContainerListing of(ContainerEngine engine) {
        return (labels, timeout) -> {
            try {
                return Optional.of(engine.list(labels));
            } catch (OrchestratorException e) {
                return Optional.empty();
            }
        };
    }

    /** Podman's REST socket read directly, else its CLI ({@code podman ps --format json}) where one is given. */
    static ContainerListing podmanSnapshot(List<URI> sockets, Optional<Path> podman) {
        return (labels, timeout) -> {
            Optional<List<ContainerInfo>> listed = PodmanSnapshot.list(sockets, labels, timeout);
            return listed.isEmpty() && podman.isPresent() ? PodmanSnapshot.listWithCli(podman.get(), labels, timeout) : listed;
        };
    }
}
