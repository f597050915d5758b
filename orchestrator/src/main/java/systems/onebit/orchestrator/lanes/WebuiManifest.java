package systems.onebit.orchestrator.lanes;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.json.Trees;

/** How Open WebUI runs as a container: {@code open-webui.yaml} beside this class, or the user's copy. */
public record WebuiManifest(String image, int port, String healthPath, String dataVolume, String dataPath,
                            Map<String, String> environment) {

    public WebuiManifest {
        environment = Map.copyOf(environment);
    }

    /** {@code userDir/open-webui.yaml} when present, else the embedded one. */
    public static WebuiManifest load(Path userDir) {
        Path user = userDir.resolve("open-webui.yaml");
        try {
            if (Files.exists(user)) {
                return parse(Files.readString(user, StandardCharsets.UTF_8), user.toString());
            }
            try (InputStream in = WebuiManifest.class.getResourceAsStream("open-webui.yaml")) {
                if (in == null) {
                    throw new IllegalStateException("open-webui.yaml is missing from the build");
                }
                return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "open-webui.yaml (embedded)");
            }
        } catch (IOException e) {
            throw OrchestratorException.configInvalid("cannot read " + user + " (" + e.getMessage() + ")", "fix or remove it");
        }
    }

    private static WebuiManifest parse(String text, String source) throws IOException {
        JsonNode root = Trees.read(Trees.YAML, text);
        Map<String, String> env = new LinkedHashMap<>();
        root.path("environment").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        String image = root.path("image").asText("");
        if (image.isBlank()) {
            throw OrchestratorException.configInvalid(source + " names no image", "add image: ghcr.io/open-webui/open-webui:main");
        }
        return new WebuiManifest(image, root.path("port").asInt(3000), root.path("healthPath").asText("/health"),
                root.path("dataVolume").asText("1bit-open-webui"), root.path("dataPath").asText("/app/backend/data"), env);
    }
}
