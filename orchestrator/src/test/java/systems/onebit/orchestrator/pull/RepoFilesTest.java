package systems.onebit.orchestrator.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.pull.RepoFiles.RepoFile;

class RepoFilesTest {

    private static RepoFile f(String path) {
        return new RepoFile(path, 100, Optional.of(Integer.toHexString(path.hashCode())));
    }

    private static final List<RepoFile> QWEN = List.of(f("README.md"), f("Qwen3-8B-Q4_K_M.gguf"), f("Qwen3-8B-Q4_K_S.gguf"),
            f("Qwen3-8B-Q8_0.gguf"), f("Qwen3-8B-UD-Q4_K_XL.gguf"), f("mmproj-F32.gguf"), f("mmproj-F16.gguf"));
    private static final List<RepoFile> SPLIT = List.of(f("Q4_K_M/big-Q4_K_M-00002-of-00002.gguf"),
            f("Q4_K_M/big-Q4_K_M-00001-of-00002.gguf"), f("Q8_0/big-Q8_0-00001-of-00003.gguf"),
            f("Q8_0/big-Q8_0-00002-of-00003.gguf"));

    private static ModelRef.Hub ref(String quant, String file) {
        return new ModelRef.Hub("org/repo", "main", Optional.ofNullable(quant), Optional.ofNullable(file));
    }

    @Test
    void aQuantTagPicksItsFileAsAWholeWordWithTheF16Projector() {
        RepoFiles.Choice choice = RepoFiles.choose(ref("Q4_K_M", null), QWEN);
        assertThat(choice.model()).extracting(RepoFile::path).containsExactly("Qwen3-8B-Q4_K_M.gguf");
        assertThat(choice.mmproj()).map(RepoFile::path).contains("mmproj-F16.gguf");
        assertThat(RepoFiles.choose(ref("Q8_0", null), QWEN).model()).extracting(RepoFile::path).containsExactly("Qwen3-8B-Q8_0.gguf");
        assertThatThrownBy(() -> RepoFiles.choose(ref("Q4_K", null), QWEN)).as("Q4_K is not Q4_K_M")
                .isInstanceOf(OrchestratorException.class).hasMessageContaining("has no Q4_K file")
                .extracting(e -> ((OrchestratorException) e).hint()).asString().contains("Qwen3-8B-Q4_K_S.gguf");
    }

    @Test
    void noQuantTakesTheOnlyModelOrQ4KMElseListsThem() {
        assertThat(RepoFiles.choose(ref(null, null), QWEN).model()).extracting(RepoFile::path)
                .containsExactly("Qwen3-8B-Q4_K_M.gguf");
        assertThat(RepoFiles.choose(ref(null, null), List.of(f("only.gguf"), f("config.json"))).model())
                .extracting(RepoFile::path).containsExactly("only.gguf");
        assertThatThrownBy(() -> RepoFiles.choose(ref(null, null), List.of(f("m-Q8_0.gguf"), f("m-Q6_K.gguf"))))
                .hasMessageContaining("several models").extracting(e -> ((OrchestratorException) e).hint()).asString()
                .contains("org/repo:Q8_0", "org/repo:Q6_K");
        assertThatThrownBy(() -> RepoFiles.choose(ref(null, null), List.of(f("config.json"))))
                .hasMessageContaining("has no GGUF model file");
    }

    @Test
    void splitsComeWholeAndInOrderAndAnIncompleteOneIsRefused() {
        assertThat(RepoFiles.choose(ref("Q4_K_M", null), SPLIT).model()).extracting(RepoFile::path)
                .containsExactly("Q4_K_M/big-Q4_K_M-00001-of-00002.gguf", "Q4_K_M/big-Q4_K_M-00002-of-00002.gguf");
        assertThat(RepoFiles.choose(ref(null, "Q4_K_M/big-Q4_K_M-00002-of-00002.gguf"), SPLIT).model())
                .as("naming any shard fetches the whole split").hasSize(2);
        assertThatThrownBy(() -> RepoFiles.choose(ref("Q8_0", null), SPLIT)).hasMessageContaining("lists 2 of the 3 shards");
        assertThatThrownBy(() -> RepoFiles.choose(ref(null, "nope.gguf"), SPLIT)).hasMessageContaining("has no file nope.gguf");
    }

    @Test
    void anAmbiguousQuantNamesTheCandidates() {
        List<RepoFile> two = List.of(f("a/m-Q4_0.gguf"), f("b/m-Q4_0.gguf"));
        assertThatThrownBy(() -> RepoFiles.choose(ref("Q4_0", null), two)).hasMessageContaining("matches 2 models")
                .hasMessageContaining("a/m-Q4_0.gguf").hasMessageContaining("b/m-Q4_0.gguf");
    }
}
