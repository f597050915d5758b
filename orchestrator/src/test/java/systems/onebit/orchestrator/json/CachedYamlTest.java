package systems.onebit.orchestrator.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.registry.RegistryStore;

class CachedYamlTest {

    @TempDir
    Path dir;

    private static final String REGISTRY = """
            version: 1
            proxy:
              host: 127.0.0.1
              port: 13306
            backends:
              - name: gpu
                kind: openai
                url: http://127.0.0.1:8080
                priority: 50
                enabled: false
                args: ["-ngl", "99"]
            aliases:
              fast: qwen3:0.6b
            """;

    @Test
    void aCacheHitGivesTheTreeTheYamlParserGives() throws IOException {
        CachedYaml cache = new CachedYaml(dir.resolve("cache/tree.json"));
        var parsed = Trees.read(Trees.YAML, REGISTRY);
        assertThat(cache.read(REGISTRY)).isEqualTo(parsed);
        assertThat(cache.file()).exists();
        // It copies the registry, which is owner-only.
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(cache.file())))
                .isEqualTo("rw-------");
        // Served from the file now: prove it by planting a different tree under the same text.
        String planted = Files.readString(cache.file()).replace("\"gpu\"", "\"planted\"");
        Files.writeString(cache.file(), planted);
        assertThat(cache.read(REGISTRY).path("backends").get(0).path("name").asText()).isEqualTo("planted");
    }

    @Test
    void anEditedFileIsParsedAgainNeverServedStale() throws IOException {
        CachedYaml cache = new CachedYaml(dir.resolve("tree.json"));
        cache.read(REGISTRY);
        String edited = REGISTRY.replace("port: 13306", "port: 13307");
        assertThat(cache.read(edited).path("proxy").path("port").asInt()).isEqualTo(13307);
        assertThat(Files.readString(cache.file())).contains("13307");
    }

    @Test
    void aCorruptCacheIsIgnoredAndReplaced() throws IOException {
        CachedYaml cache = new CachedYaml(dir.resolve("tree.json"));
        Files.writeString(cache.file(), "{\"yaml\": 12, truncated");
        assertThat(cache.read(REGISTRY)).isEqualTo(Trees.read(Trees.YAML, REGISTRY));
        assertThat(Trees.read(Trees.JSON, Files.readString(cache.file())).path("yaml").asText()).isEqualTo(REGISTRY);
    }

    @Test
    void invalidYamlFailsAsWithoutTheCacheAndIsNotCached() throws IOException {
        CachedYaml cache = new CachedYaml(dir.resolve("tree.json"));
        assertThatThrownBy(() -> cache.read("backends: [unclosed\n")).isInstanceOf(IOException.class);
        assertThat(cache.file()).doesNotExist();
    }

    @Test
    void anUnwritableCacheOnlyCostsTheParse() throws IOException {
        Path blocker = Files.writeString(dir.resolve("not-a-dir"), "x");
        CachedYaml cache = new CachedYaml(blocker.resolve("tree.json"));
        assertThat(cache.read(REGISTRY)).isEqualTo(Trees.read(Trees.YAML, REGISTRY));
        assertThat(cache.read(REGISTRY)).isEqualTo(Trees.read(Trees.YAML, REGISTRY));
    }

    @Test
    void theRegistryReadThroughTheCacheEqualsTheDirectRead() throws IOException {
        Path file = Files.writeString(dir.resolve("registry.yaml"), REGISTRY);
        RegistryStore direct = new RegistryStore(file);
        RegistryStore cached = new RegistryStore(file, new CachedYaml(dir.resolve("cache/registry.tree.json")));
        assertThat(cached.read()).isEqualTo(direct.read());
        assertThat(cached.read()).isEqualTo(direct.read());  // second read: a cache hit
        // Validation still runs on a cached tree: a bad port is an error either way.
        Files.writeString(file, REGISTRY.replace("port: 13306", "port: 70000"));
        assertThatThrownBy(cached::read).isInstanceOf(OrchestratorException.class).hasMessageContaining("70000");
        assertThatThrownBy(cached::read).isInstanceOf(OrchestratorException.class).hasMessageContaining("70000");
    }
}
