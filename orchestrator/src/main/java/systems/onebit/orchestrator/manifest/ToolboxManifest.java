package systems.onebit.orchestrator.manifest;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One toolbox flavor: the image, the host devices and groups it needs, and the backend command it runs.
 * The command may hold the placeholders {@code {host}}, {@code {port}} and {@code {model}}.
 *
 * @param source where the manifest came from (a file path or {@code embedded:NAME}), for error messages
 */
public record ToolboxManifest(
        String flavor,
        String summary,
        String image,
        List<String> devices,
        List<String> groups,
        List<String> securityOpt,
        Map<String, String> ulimits,
        Map<String, String> environment,
        List<String> command,
        String defaultHost,
        int defaultPort,
        String healthPath,
        String modelsPath,
        String modelMount,
        String build,
        String source) {

    public ToolboxManifest {
        devices = List.copyOf(devices);
        groups = List.copyOf(groups);
        securityOpt = List.copyOf(securityOpt);
        ulimits = Map.copyOf(ulimits);
        environment = Map.copyOf(environment);
        command = List.copyOf(command);
    }

    /**
     * The Containerfile that builds this flavor's image on the user's machine (`1bit toolbox build`), for a flavor
     * that is built, not pulled; empty for the others.
     */
    public Optional<String> containerfile() {
        return build.isEmpty() ? Optional.empty() : Optional.of(build);
    }

    /** True when the flavor passes the GPU through (the cpu flavor does not). */
    public boolean usesGpu() {
        return !devices.isEmpty();
    }

    /** The backend command with its placeholders filled in. */
    public List<String> commandFor(String host, int port, String modelInContainer) {
        return command.stream()
                .map(arg -> arg.replace("{host}", host)
                        .replace("{port}", Integer.toString(port))
                        .replace("{model}", modelInContainer))
                .toList();
    }
}
