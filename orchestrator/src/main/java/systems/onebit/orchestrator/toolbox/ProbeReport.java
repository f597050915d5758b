package systems.onebit.orchestrator.toolbox;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/** A backend that answered its health path, and the models it lists. */
public record ProbeReport(String name, URI url, Duration healthyAfter, List<String> models) {
    public ProbeReport {
        models = List.copyOf(models);
    }
}
