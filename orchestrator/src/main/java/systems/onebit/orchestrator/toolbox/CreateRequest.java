package systems.onebit.orchestrator.toolbox;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@code 1bit toolbox create} asks for. A port of 0 means the flavor's default; {@code pull} says whether a
 * missing image is pulled (else create refuses).
 */
public record CreateRequest(String name, String flavor, Path model, int port, List<String> extraArgs, boolean pull) {
    public CreateRequest {
        extraArgs = List.copyOf(extraArgs);
    }
}
