package systems.onebit.orchestrator.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import systems.onebit.orchestrator.OrchestratorException;

/**
 * The toolbox flavors: the embedded manifests (the repository's {@code toolbox-manifests/}) overlaid by the user's
 * {@code $XDG_CONFIG_HOME/1bit/toolbox-manifests/*.yaml}. Every manifest is validated on load; an error names the
 * file, the field and the fix.
 */
public final class ManifestCatalog {

    /** The flavors shipped inside the jar; a test checks this list against the toolbox-manifests/ directory. */
    public static final List<String> EMBEDDED = List.of("vulkan-radv", "rocm-7.14", "vulkan-amdvlk", "rocm-6.4.4",
            "therock-nightly", "rocm-7.2.2", "rocm-7.14-ternary", "cpu");
    private static final String RESOURCE_DIR = "/systems/onebit/toolbox-manifests/";

    private static final Pattern FLAVOR = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    private static final Set<String> FIELDS = Set.of("flavor", "summary", "image", "devices", "groups", "securityOpt",
            "ulimits", "environment", "command", "defaults", "healthPath", "modelsPath", "modelMount", "build");
    private static final Pattern CONTAINERFILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,100}\\.Containerfile");
    private static final Set<String> ULIMITS = Set.of("memlock", "nofile", "nproc", "stack", "core");
    private static final Pattern ULIMIT_VALUE = Pattern.compile("unlimited|\\d+(:\\d+)?");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final Map<String, ToolboxManifest> byFlavor;

    private ManifestCatalog(Map<String, ToolboxManifest> byFlavor) {
        this.byFlavor = byFlavor;
    }

    /** Embedded manifests, then every {@code *.yaml} in {@code userDir} (which may be missing) on top. */
    public static ManifestCatalog load(Path userDir) {
        Map<String, ToolboxManifest> manifests = new LinkedHashMap<>();
        for (String flavor : EMBEDDED) {
            String resource = RESOURCE_DIR + flavor + ".yaml";
            try (InputStream in = ManifestCatalog.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("embedded manifest missing from the build: " + resource);
                }
                manifests.put(flavor, parse(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8),
                        "embedded:" + flavor + ".yaml", flavor));
            } catch (IOException e) {
                throw new IllegalStateException("cannot read embedded manifest " + resource, e);
            }
        }
        if (Files.isDirectory(userDir)) {
            try (Stream<Path> files = Files.list(userDir)) {
                for (Path file : files.filter(p -> p.getFileName().toString().endsWith(".yaml")).sorted().toList()) {
                    ToolboxManifest manifest = parseFile(file);
                    manifests.put(manifest.flavor(), manifest);
                }
            } catch (IOException e) {
                throw OrchestratorException.configInvalid("cannot list " + userDir + " (" + e.getMessage() + ")",
                        "check the directory's permissions");
            }
        }
        return new ManifestCatalog(manifests);
    }

    public static ToolboxManifest parseFile(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw OrchestratorException.configInvalid(file + ": cannot read (" + e.getMessage() + ")",
                    "make the file readable or remove it");
        }
        String name = file.getFileName().toString();
        return parse(text, file.toString(), name.substring(0, name.length() - ".yaml".length()));
    }

    public Collection<ToolboxManifest> all() {
        return List.copyOf(byFlavor.values());
    }

    public Optional<ToolboxManifest> find(String flavor) {
        return Optional.ofNullable(byFlavor.get(flavor));
    }

    public ToolboxManifest get(String flavor) {
        return find(flavor).orElseThrow(() -> OrchestratorException.invalid("unknown flavor '" + flavor + "'",
                "choose one of " + String.join(", ", byFlavor.keySet()) + " (see `1bit toolbox flavors`)"));
    }

    static ToolboxManifest parse(String text, String source, String expectedFlavor) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw OrchestratorException.configInvalid(source + ": not valid YAML at line "
                    + e.getLocation().getLineNr() + " (" + firstLine(e.getOriginalMessage()) + ")", "fix the YAML syntax");
        }
        if (!(root instanceof ObjectNode obj)) {
            throw bad(source, "(top level)", "must be a mapping of fields", "start from an embedded manifest, e.g. `1bit toolbox flavors --show vulkan-radv`");
        }
        for (Iterator<String> it = obj.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!FIELDS.contains(field)) {
                throw bad(source, field, "is not a manifest field", "remove it; known fields: " + new java.util.TreeSet<>(FIELDS));
            }
        }
        String flavor = text(obj, source, "flavor", true);
        if (!FLAVOR.matcher(flavor).matches()) {
            throw bad(source, "flavor", "'" + flavor + "' is not a valid flavor name",
                    "use lower-case letters, digits, '.', '_' or '-'");
        }
        if (!flavor.equals(expectedFlavor)) {
            throw bad(source, "flavor", "is '" + flavor + "' but the file is named " + expectedFlavor + ".yaml",
                    "rename the file to " + flavor + ".yaml or set flavor: " + expectedFlavor);
        }
        String image = text(obj, source, "image", true);
        if (image.contains(" ")) {
            throw bad(source, "image", "'" + image + "' is not an image reference", "use e.g. docker.io/kyuz0/amd-strix-halo-toolboxes:vulkan-radv");
        }
        List<String> devices = list(obj, source, "devices");
        for (String device : devices) {
            if (!device.startsWith("/dev/") || device.contains("..")) {
                throw bad(source, "devices", "'" + device + "' is not a path under /dev", "list host devices such as /dev/dri or /dev/kfd");
            }
        }
        List<String> command = list(obj, source, "command");
        if (command.isEmpty()) {
            throw bad(source, "command", "must not be empty", "give the backend command, e.g. [llama-server, --port, \"{port}\", -m, \"{model}\"]");
        }
        if (command.stream().noneMatch(a -> a.contains("{port}"))) {
            throw bad(source, "command", "has no {port} placeholder", "pass the port, e.g. --port, \"{port}\", so 1bit can choose it");
        }
        Map<String, String> ulimits = map(obj, source, "ulimits");
        ulimits.forEach((k, v) -> {
            if (!ULIMITS.contains(k)) {
                throw bad(source, "ulimits." + k, "is not a supported limit", "use one of " + new java.util.TreeSet<>(ULIMITS));
            }
            if (!ULIMIT_VALUE.matcher(v).matches()) {
                throw bad(source, "ulimits." + k, "'" + v + "' is not a limit", "use unlimited, a number, or soft:hard");
            }
        });
        JsonNode defaults = obj.path("defaults");
        String host = defaults.path("host").asText("127.0.0.1");
        int port = defaults.path("port").asInt(13305);
        if (port < 1 || port > 65535) {
            throw bad(source, "defaults.port", port + " is not a TCP port", "use 1-65535 (the default backend port is 13305)");
        }
        String healthPath = text(obj, source, "healthPath", true);
        String modelsPath = obj.has("modelsPath") ? text(obj, source, "modelsPath", true) : "/v1/models";
        for (String[] p : new String[][] {{"healthPath", healthPath}, {"modelsPath", modelsPath}}) {
            if (!p[1].startsWith("/")) {
                throw bad(source, p[0], "'" + p[1] + "' must start with /", "use e.g. /health");
            }
        }
        String modelMount = obj.has("modelMount") ? text(obj, source, "modelMount", true) : "/models";
        if (!modelMount.startsWith("/")) {
            throw bad(source, "modelMount", "'" + modelMount + "' must be an absolute path", "use /models");
        }
        String build = obj.has("build") ? text(obj, source, "build", true) : "";
        if (!build.isEmpty()) {
            if (!CONTAINERFILE.matcher(build).matches()) {
                throw bad(source, "build", "'" + build + "' is not a Containerfile's name",
                        "name a file beside the manifest, e.g. build: " + flavor + ".Containerfile");
            }
            if (!image.startsWith("localhost/")) {
                throw bad(source, "image", "'" + image + "' is a registry name, but the flavor is built here",
                        "name the image localhost/..., e.g. localhost/1bit/" + flavor + ":latest, so nothing pulls it");
            }
        }
        return new ToolboxManifest(flavor, obj.has("summary") ? text(obj, source, "summary", false) : "",
                image, devices, list(obj, source, "groups"), list(obj, source, "securityOpt"), ulimits,
                map(obj, source, "environment"), command, host, port, healthPath, modelsPath, modelMount, build, source);
    }

    /**
     * The text of a built flavor's Containerfile: shipped beside an embedded manifest, or the file beside a user's
     * manifest.
     */
    public static String containerfile(ToolboxManifest manifest) {
        String name = manifest.containerfile().orElseThrow(() -> OrchestratorException.invalid("flavor '"
                + manifest.flavor() + "' is pulled (" + manifest.image() + "), not built", "create a toolbox with it; "
                + "`1bit toolbox create` pulls the image"));
        if (manifest.source().startsWith("embedded:")) {
            try (InputStream in = ManifestCatalog.class.getResourceAsStream(RESOURCE_DIR + name)) {
                if (in == null) {
                    throw new IllegalStateException("embedded Containerfile missing from the build: " + name);
                }
                return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read embedded Containerfile " + name, e);
            }
        }
        Path file = Path.of(manifest.source()).resolveSibling(name);
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw OrchestratorException.configInvalid(manifest.source() + ": field 'build' names " + file
                    + ", which cannot be read (" + e.getMessage() + ")", "put the Containerfile beside the manifest");
        }
    }

    private static OrchestratorException bad(String source, String field, String problem, String fix) {
        return OrchestratorException.configInvalid(source + ": field '" + field + "' " + problem, fix);
    }

    private static String text(ObjectNode obj, String source, String field, boolean required) {
        JsonNode node = obj.get(field);
        if (node == null || node.isNull() || (node.isTextual() && node.asText().isBlank())) {
            if (required) {
                throw bad(source, field, "is missing", "add `" + field + ":` (see the embedded manifests for examples)");
            }
            return "";
        }
        if (!node.isValueNode()) {
            throw bad(source, field, "must be a single value", "write it as `" + field + ": value`");
        }
        return node.asText();
    }

    private static List<String> list(ObjectNode obj, String source, String field) {
        JsonNode node = obj.get(field);
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw bad(source, field, "must be a list", "write it as `" + field + ": [a, b]`");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : node) {
            if (!item.isValueNode()) {
                throw bad(source, field, "must hold plain values only", "write it as `" + field + ": [a, b]`");
            }
            out.add(item.asText());
        }
        return out;
    }

    private static Map<String, String> map(ObjectNode obj, String source, String field) {
        JsonNode node = obj.get(field);
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw bad(source, field, "must be a mapping", "write it as `" + field + ": {KEY: value}`");
        }
        Map<String, String> out = new TreeMap<>();
        node.fields().forEachRemaining(e -> {
            if (!e.getValue().isValueNode()) {
                throw bad(source, field + "." + e.getKey(), "must be a plain value", "quote it as a string");
            }
            out.put(e.getKey(), e.getValue().asText());
        });
        return out;
    }

    private static String firstLine(String text) {
        return text == null ? "" : text.lines().findFirst().orElse("").strip();
    }
}
