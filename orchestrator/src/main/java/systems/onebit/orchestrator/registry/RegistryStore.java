package systems.onebit.orchestrator.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.fs.LocalFiles;
import systems.onebit.orchestrator.json.CachedYaml;

/**
 * Reads and writes the registry file. Every change runs under an exclusive lock (a {@code .lock} file beside the
 * registry, so two {@code 1bit} processes never interleave) and is written atomically: temporary file, fsync,
 * rename, fsync of the directory. A registry file that cannot be parsed is reported, never overwritten.
 */
public final class RegistryStore {

    /** For writing only, made on first write: reading uses the lighter {@link Trees} (start-up time of status). */
    private static final class Writer {
        static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
    }
    private static final Set<String> TOP_FIELDS = Set.of("version", "proxy", "defaultBackend", "backends", "aliases", "models", "apps");
    private static final Set<String> MODEL_FIELDS = Set.of("alias", "path", "context", "flavor", "parallel", "pinned", "idleTtl", "rpc");
    private static final Set<String> BACKEND_FIELDS =
            Set.of("name", "kind", "url", "flavor", "models", "args", "priority", "enabled", "apiKeyEnv", "insecure");

    /** How the registry's YAML text becomes a tree: parsed each time, or through a {@link CachedYaml}. */
    @FunctionalInterface
    private interface YamlReader {
        JsonNode read(String text) throws IOException;
    }

    private final Path file;
    private final YamlReader yaml;

    public RegistryStore(Path file) {
        this.file = file.toAbsolutePath();
        this.yaml = text -> systems.onebit.orchestrator.json.Trees.read(systems.onebit.orchestrator.json.Trees.YAML, text);
    }

    /** Reads through {@code treeCache} (see {@link CachedYaml}); writes are unchanged. */
    public RegistryStore(Path file, CachedYaml treeCache) {
        this.file = file.toAbsolutePath();
        this.yaml = treeCache::read;
    }

    public Path file() {
        return file;
    }

    /** The registry, or the embedded defaults while no file exists. */
    public Registry read() {
        if (!Files.exists(file)) {
            return Registry.defaults();
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new OrchestratorException(OrchestratorException.Reason.IO,
                    "cannot read the registry " + file + " (" + e.getMessage() + ")", "check its permissions", e);
        }
        return parse(text, file.toString(), yaml);
    }

    /** Applies {@code change} to the current registry under the lock and writes the result atomically. */
    public Registry update(UnaryOperator<Registry> change) {
        try {
            return LocalFiles.exclusively(file.resolveSibling(file.getFileName() + ".lock"), () -> {
                Registry next = change.apply(read());
                // Never write a file that would not read back.
                parse(render(next), file + " (as it would be written)");
                write(next);
                return next;
            });
        } catch (IOException e) {
            throw new OrchestratorException(OrchestratorException.Reason.IO,
                    "cannot write the registry " + file + " (" + e.getMessage() + ")",
                    "check that " + file.getParent() + " is writable and the disk is not full", e);
        }
    }

    private void write(Registry registry) throws IOException {
        byte[] bytes = render(registry).getBytes(StandardCharsets.UTF_8);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                out.force(true);
            }
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + file.getParent() + " cannot rename atomically", e);
            }
            try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
                dir.force(true);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static String render(Registry registry) {
        ObjectNode root = Writer.YAML.createObjectNode();
        root.put("version", 1);
        ObjectNode proxy = root.putObject("proxy");
        proxy.put("host", registry.proxyHost());
        proxy.put("port", registry.proxyPort());
        root.put("defaultBackend", registry.defaultBackend());
        if (!registry.aliases().isEmpty()) {
            ObjectNode aliases = root.putObject("aliases");
            new java.util.TreeMap<>(registry.aliases()).forEach(aliases::put);
        }
        if (!registry.models().isEmpty()) {
            ArrayNode models = root.putArray("models");
            for (ModelEntry m : registry.models()) {
                ObjectNode node = models.addObject();
                node.put("alias", m.alias());
                node.put("path", m.path().toString());
                node.put("context", m.context());
                node.put("flavor", m.flavor());
                node.put("parallel", m.parallel());
                node.put("pinned", m.pinned());
                if (m.idleTtlSeconds() > 0) {
                    node.put("idleTtl", m.idleTtlSeconds());
                }
                if (!m.rpc().isEmpty()) {
                    m.rpc().forEach(node.putArray("rpc")::add);
                }
            }
        }
        if (!registry.apps().equals(Registry.Apps.NONE)) {
            ObjectNode apps = root.putObject("apps");
            ObjectNode webui = apps.putObject("webui");
            webui.put("enabled", registry.apps().webui());
            webui.put("mode", registry.apps().webuiMode());
            ObjectNode gaia = apps.putObject("gaia");
            gaia.put("enabled", registry.apps().gaia());
            gaia.put("uiPort", registry.apps().gaiaPort());
        }
        ArrayNode backends = root.putArray("backends");
        for (Backend b : registry.backends()) {
            ObjectNode node = backends.addObject();
            node.put("name", b.name());
            node.put("kind", b.kind().id());
            node.put("url", b.url().toString());
            if (!b.flavor().isEmpty()) {
                node.put("flavor", b.flavor());
            }
            b.models().forEach(node.withArray("models")::add);
            b.args().forEach(node.withArray("args")::add);
            node.put("priority", b.priority());
            node.put("enabled", b.enabled());
            if (!b.apiKeyEnv().isEmpty()) {
                node.put("apiKeyEnv", b.apiKeyEnv());
            }
            if (b.insecure()) {
                node.put("insecure", true);
            }
        }
        try {
            return "# 1bit backend registry: edit with `1bit backends ...` (changes are locked and atomic)\n"
                    + Writer.YAML.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static Registry parse(String text, String source) {
        return parse(text, source, t -> systems.onebit.orchestrator.json.Trees.read(systems.onebit.orchestrator.json.Trees.YAML, t));
    }

    private static Registry parse(String text, String source, YamlReader yaml) {
        String fix = "1bit never overwrites it: fix it by hand, or move it away (mv " + source + " " + source
                + ".bak) to start again from the defaults";
        JsonNode root;
        try {
            root = yaml.read(text);
        } catch (JsonProcessingException e) {
            throw OrchestratorException.configInvalid("registry " + source + " is not valid YAML (line "
                    + e.getLocation().getLineNr() + ": " + firstLine(e.getOriginalMessage()) + ")", fix);
        } catch (java.io.IOException e) {
            throw OrchestratorException.configInvalid("registry " + source + " is not valid YAML (" + e.getMessage() + ")", fix);
        }
        if (root == null || root.isMissingNode()) {
            return Registry.defaults();
        }
        try {
            if (!root.isObject()) {
                throw new IllegalArgumentException("the top level must be a mapping");
            }
            root.fieldNames().forEachRemaining(f -> {
                if (!TOP_FIELDS.contains(f)) {
                    throw new IllegalArgumentException("unknown field '" + f + "'");
                }
            });
            int version = root.path("version").asInt(1);
            if (version != 1) {
                throw new IllegalArgumentException("version " + version + " is newer than this 1bit understands");
            }
            Registry defaults = Registry.defaults();
            JsonNode proxy = root.path("proxy");
            String host = proxy.path("host").asText(defaults.proxyHost());
            int port = proxy.path("port").asInt(defaults.proxyPort());
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("proxy.port " + port + " is not a TCP port");
            }
            List<Backend> backends = new ArrayList<>();
            JsonNode list = root.path("backends");
            if (!list.isMissingNode() && !list.isArray()) {
                throw new IllegalArgumentException("'backends' must be a list");
            }
            int index = 0;
            for (JsonNode node : list) {
                backends.add(backend(node, index++));
            }
            JsonNode aliasNode = root.path("aliases");
            if (!aliasNode.isMissingNode() && !aliasNode.isObject()) {
                throw new IllegalArgumentException("'aliases' must be a mapping of alias: model");
            }
            java.util.Map<String, String> aliases = new java.util.TreeMap<>();
            aliasNode.fields().forEachRemaining(e -> aliases.put(e.getKey(), e.getValue().asText()));
            List<ModelEntry> models = new ArrayList<>();
            JsonNode modelList = root.path("models");
            if (!modelList.isMissingNode() && !modelList.isArray()) {
                throw new IllegalArgumentException("'models' must be a list");
            }
            int m = 0;
            for (JsonNode node : modelList) {
                models.add(model(node, m++));
            }
            return new Registry(host, port, root.path("defaultBackend").asText(""), backends, aliases, models, apps(root.path("apps")));
        } catch (IllegalArgumentException | OrchestratorException e) {
            String detail = e instanceof OrchestratorException oe ? oe.getMessage() : e.getMessage();
            throw OrchestratorException.configInvalid("registry " + source + " is invalid: " + detail, fix);
        }
    }

    /** {@code apps: {webui: {enabled, mode}, gaia: {enabled, uiPort}}}; each part optional. */
    private static Registry.Apps apps(JsonNode node) {
        if (node.isMissingNode()) {
            return Registry.Apps.NONE;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("'apps' must be a mapping with webui and gaia");
        }
        node.fieldNames().forEachRemaining(f -> {
            if (!f.equals("webui") && !f.equals("gaia")) {
                throw new IllegalArgumentException("apps: unknown field '" + f + "' (webui, gaia)");
            }
        });
        Registry.Apps none = Registry.Apps.NONE;
        JsonNode webui = node.path("webui");
        JsonNode gaia = node.path("gaia");
        int gaiaPort = gaia.path("uiPort").asInt(none.gaiaPort());
        if (gaiaPort < 1 || gaiaPort > 65535) {
            throw new IllegalArgumentException("apps.gaia.uiPort " + gaiaPort + " is not a TCP port");
        }
        return new Registry.Apps(webui.path("enabled").asBoolean(false), webui.path("mode").asText(none.webuiMode()),
                gaia.path("enabled").asBoolean(false), gaiaPort);
    }

    private static Backend backend(JsonNode node, int index) {
        String where = "backends[" + index + "]";
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + " must be a mapping");
        }
        node.fieldNames().forEachRemaining(f -> {
            if (!BACKEND_FIELDS.contains(f)) {
                throw new IllegalArgumentException(where + ": unknown field '" + f + "'");
            }
        });
        String name = node.path("name").asText("");
        if (name.isEmpty()) {
            throw new IllegalArgumentException(where + ": 'name' is missing");
        }
        String kindText = node.path("kind").asText("");
        BackendKind kind = BackendKind.parse(kindText).orElseThrow(() -> new IllegalArgumentException(
                where + " (" + name + "): kind '" + kindText + "' is not one of toolbox, lemonade, flm, openai"));
        URI url;
        try {
            url = new URI(node.path("url").asText(""));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(where + " (" + name + "): url is not a URL: " + e.getMessage());
        }
        return new Backend(name, kind, url, node.path("flavor").asText(""), strings(node.path("models")),
                strings(node.path("args")), node.path("priority").asInt(Backend.DEFAULT_PRIORITY),
                node.path("enabled").asBoolean(true), node.path("apiKeyEnv").asText(""), node.path("insecure").asBoolean(false));
    }

    private static ModelEntry model(JsonNode node, int index) {
        String where = "models[" + index + "]";
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + " must be a mapping");
        }
        node.fieldNames().forEachRemaining(f -> {
            if (!MODEL_FIELDS.contains(f)) {
                throw new IllegalArgumentException(where + ": unknown field '" + f + "'");
            }
        });
        return new ModelEntry(node.path("alias").asText(""), java.nio.file.Path.of(node.path("path").asText("")),
                node.path("context").asLong(0), node.path("flavor").asText("vulkan-radv"), node.path("parallel").asInt(1),
                node.path("pinned").asBoolean(false), node.path("idleTtl").asLong(0), strings(node.path("rpc")));
    }

    private static List<String> strings(JsonNode node) {
        List<String> out = new ArrayList<>();
        node.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static String firstLine(String text) {
        return text == null ? "" : text.lines().findFirst().orElse("").strip();
    }
}
