package systems.onebit.orchestrator.ondemand;

import java.net.URI;
import java.time.Duration;

/**
 * A backend serving one registered model: which container, where it answers, and how long it took to load.
 *
 * @param container the container (or process) name, for logs and `podman` commands
 * @param loadTime  from the start request to the first healthy answer
 */
public record RunningModel(String alias, String container, URI url, Duration loadTime) {
}
