package systems.onebit.orchestrator.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import systems.onebit.orchestrator.fs.LocalFiles;

/**
 * YAML text to a tree, through a cache file that holds the last text read and its tree as JSON. Why: parsing even a
 * short YAML file costs 25-40 ms in a freshly started JVM (the YAML scanner runs interpreted), while the same tree
 * as JSON reads in a few; the registry is read first by every command, {@code 1bit status} included. The cache is
 * used only when its text equals the file's text exactly, so an edit by hand is never masked; a missing, corrupt or
 * unwritable cache just means parsing the YAML. Text that does not parse is never cached.
 */
public final class CachedYaml {

    private final Path cache;

    public CachedYaml(Path cache) {
        this.cache = cache.toAbsolutePath();
    }

    public Path file() {
        return cache;
    }

    /** The tree of {@code text}, as {@link Trees#read} with {@link Trees#YAML} gives it. */
    public JsonNode read(String text) throws IOException {
        Optional<JsonNode> cached = lookup(text);
        if (cached.isPresent()) {
            return cached.get();
        }
        JsonNode tree = Trees.read(Trees.YAML, text);
        store(text, tree);
        return tree;
    }

    private Optional<JsonNode> lookup(String text) {
        try {
            JsonNode doc = Trees.read(Trees.JSON, Files.readString(cache, StandardCharsets.UTF_8));
            if (doc.path("yaml").isTextual() && doc.get("yaml").asText().equals(text) && doc.has("tree")) {
                return Optional.of(doc.get("tree"));
            }
        } catch (IOException | RuntimeException e) {
            // absent or unreadable: parse the YAML
        }
        return Optional.empty();
    }

    private void store(String text, JsonNode tree) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("yaml", text);
        doc.put("tree", tree);
        try {
            Files.createDirectories(cache.getParent());
            // Owner-only, like the registry file it copies.
            LocalFiles.replace(cache, Trees.writeJson(doc), true);
        } catch (IOException | RuntimeException e) {
            // a cache that cannot be written only costs the next reader a YAML parse
        }
    }
}
