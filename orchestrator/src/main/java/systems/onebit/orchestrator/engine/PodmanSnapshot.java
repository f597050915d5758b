package systems.onebit.orchestrator.engine;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import systems.onebit.orchestrator.probe.HttpProbe;

/**
 * A read-only listing of containers straight from Podman's REST socket ({@code GET /containers/json}), for
 * {@code 1bit status}: the full {@link PodmanEngine} (docker-java with Apache HttpClient) costs about 200 ms to set
 * up, which a status that must answer in a few hundred milliseconds cannot pay. Everything that changes containers
 * still goes through {@link ContainerEngine}.
 */
public final class PodmanSnapshot {

    private PodmanSnapshot() {
    }

    /**
     * The containers carrying all of {@code labels} (an empty value matches any value) from the first of
     * {@code sockets} that answers; empty when none does.
     */
    public static Optional<List<ContainerInfo>> list(List<URI> sockets, Map<String, String> labels, Duration timeout) {
        String filter = "{\"label\":[" + String.join(",", labels.entrySet().stream()
                .map(e -> "\"" + (e.getValue().isEmpty() ? e.getKey() : e.getKey() + "=" + e.getValue()) + "\"").toList()) + "]}";
        String path = "/v1.41/containers/json?all=true" + (labels.isEmpty() ? ""
                : "&filters=" + URLEncoder.encode(filter, StandardCharsets.UTF_8));
        for (URI socket : sockets) {
            if (!"unix".equals(socket.getScheme())) {
                continue;
            }
            HttpProbe.Result result = HttpProbe.getUnix(Path.of(socket.getPath()), path, timeout);
            if (result.ok()) {
                Optional<List<ContainerInfo>> parsed = parse(result.body());
                if (parsed.isPresent()) {
                    return parsed;
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The same listing from the {@code podman} program ({@code podman ps -a --format json}, whose fields are the REST
     * API's), for a host where no Podman socket is enabled: a status that says "unknown" for every toolbox there is
     * wrong on a default install. Empty when it fails or takes longer than {@code timeout}.
     */
    public static Optional<List<ContainerInfo>> listWithCli(Path podman, Map<String, String> labels, Duration timeout) {
        List<String> command = new ArrayList<>(List.of(podman.toString(), "ps", "-a", "--format", "json"));
        labels.forEach((k, v) -> command.addAll(List.of("--filter", "label=" + (v.isEmpty() ? k : k + "=" + v))));
        try {
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] out = process.getInputStream().readNBytes(HttpProbe.MAX_BODY);
            if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return Optional.empty();
            }
            return process.exitValue() == 0 ? parse(new String(out, StandardCharsets.UTF_8)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    static Optional<List<ContainerInfo>> parse(String body) {
        try {
            JsonNode array = systems.onebit.orchestrator.json.Trees.read(systems.onebit.orchestrator.json.Trees.JSON, body);
            if (!array.isArray()) {
                return Optional.empty();
            }
            List<ContainerInfo> out = new ArrayList<>();
            for (JsonNode c : array) {
                JsonNode names = c.path("Names");
                String name = names.isArray() && !names.isEmpty() ? names.get(0).asText().replaceFirst("^/", "") : "";
                Map<String, String> labels = new LinkedHashMap<>();
                c.path("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
                out.add(new ContainerInfo(c.path("Id").asText(), name, c.path("Image").asText(),
                        ContainerInfo.State.parse(c.path("State").asText(null)), c.path("Status").asText(), labels));
            }
            return Optional.of(out);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
