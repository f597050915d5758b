package systems.onebit.orchestrator.toolbox;

import java.nio.file.Path;
import java.util.List;

/** What {@code 1bit toolbox create} asks for. A port of 0 means the flavor's default. */
public record CreateRequest(String name, String flavor, Path model, int port, List<String> extraArgs) {
    public CreateRequest {
        extraArgs = List.copyOf(extraArgs);
    }
}
