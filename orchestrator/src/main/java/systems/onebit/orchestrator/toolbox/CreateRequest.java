package systems.onebit.orchestrator.toolbox;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@code 1bit toolbox create} asks for. A port of 0 means the flavor's default; {@code pull} says whether a
 * missing image is pulled (else create refuses); {@code labels} are added to 1bit's own.
 */
public record CreateRequest(String name, String flavor, Path model, int port, List<String> extraArgs, boolean pull,
                            Map<String, String> labels) {
    public CreateRequest {
        extraArgs = List.copyOf(extraArgs);
        labels = Map.copyOf(labels);
    }

    public CreateRequest(String name, String flavor, Path model, int port, List<String> extraArgs, boolean pull) {
        this(name, flavor, model, port, extraArgs, pull, Map.of());
    }
}
