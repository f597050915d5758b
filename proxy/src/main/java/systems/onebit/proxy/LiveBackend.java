package systems.onebit.proxy;

import java.net.URI;
import java.util.List;

/**
 * A backend as the proxy sees it right now: where it is, its registry priority, the models it listed at the last
 * probe, and whether that probe succeeded.
 */
public record LiveBackend(String name, URI url, int priority, List<String> models, boolean healthy) {
    public LiveBackend {
        models = List.copyOf(models);
    }
}
