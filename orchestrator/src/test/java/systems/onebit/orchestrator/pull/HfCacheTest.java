package systems.onebit.orchestrator.pull;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.pull.RepoFiles.RepoFile;

class HfCacheTest {

    @TempDir
    Path dir;

    @Test
    void locatedAsHuggingfaceHubDoes() {
        assertThat(HfCache.locate(Map.of("HF_HUB_CACHE", "/c", "HF_HOME", "/h")).root()).isEqualTo(Path.of("/c"));
        assertThat(HfCache.locate(Map.of("HF_HOME", "/h", "XDG_CACHE_HOME", "/x")).root()).isEqualTo(Path.of("/h/hub"));
        assertThat(HfCache.locate(Map.of("XDG_CACHE_HOME", "/x", "HOME", "/home/a")).root()).isEqualTo(Path.of("/x/huggingface/hub"));
        assertThat(HfCache.locate(Map.of("HOME", "/home/a")).root()).isEqualTo(Path.of("/home/a/.cache/huggingface/hub"));
    }

    @Test
    void aCommittedFileIsLaidOutLikeHuggingfaceHubs() throws Exception {
        HfCache cache = new HfCache(dir);
        String sha = "ab".repeat(32);
        RepoFile file = new RepoFile("Q4_K_M/m-Q4_K_M.gguf", 4, Optional.of(sha));
        Files.createDirectories(cache.incomplete("org/repo", sha).getParent());
        Path download = Files.writeString(cache.incomplete("org/repo", sha), "GGUF").toAbsolutePath();
        assertThat(cache.present("org/repo", file)).isEmpty();
        Path link = cache.commit("org/repo", "c0ffee", "main", file, download);
        assertThat(link).isEqualTo(dir.resolve("models--org--repo/snapshots/c0ffee/Q4_K_M/m-Q4_K_M.gguf"));
        assertThat(Files.readSymbolicLink(link)).isEqualTo(Path.of("../../../blobs/" + sha));
        assertThat(Files.readString(link)).isEqualTo("GGUF");
        assertThat(Files.readString(dir.resolve("models--org--repo/refs/main"))).isEqualTo("c0ffee");
        assertThat(cache.ref("org/repo", "main")).contains("c0ffee");
        assertThat(cache.present("org/repo", file)).contains(cache.blob("org/repo", sha));
        assertThat(download).doesNotExist();
    }
}
