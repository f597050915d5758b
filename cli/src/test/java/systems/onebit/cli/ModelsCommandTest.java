package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.testing.TinyGguf;

class ModelsCommandTest {

    @TempDir
    Path home;

    @Test
    void inspectReportsTheHeaderAndAMemoryEstimate() throws Exception {
        Path model = new TinyGguf().embedding(64).layers(2).context(512).name("tiny-m").write(home.resolve("m.gguf"));
        Cli cli = new Cli(home);
        Cli.Result result = cli.run("models", "inspect", model.toString(), "--json", "--ctx", "1024", "--parallel", "2");
        assertThat(result.code()).as(result.toString()).isZero();
        JsonNode doc = new ObjectMapper().readTree(result.out());
        assertThat(doc.get("architecture").asText()).isEqualTo("llama");
        assertThat(doc.get("name").asText()).isEqualTo("tiny-m");
        assertThat(doc.get("blockCount").asInt()).isEqualTo(2);
        assertThat(doc.get("contextLength").asInt()).isEqualTo(512);
        assertThat(doc.at("/memory/kvCacheBytes").asLong()).isEqualTo(2L * 2 * 1024 * 2 * 4 * 16 * 2);
        assertThat(doc.at("/memory/totalBytes").asLong()).isEqualTo(doc.at("/memory/weightsBytes").asLong()
                + doc.at("/memory/kvCacheBytes").asLong() + doc.at("/memory/overheadBytes").asLong());
        Cli.Result table = cli.run("models", "inspect", model.toString());
        assertThat(table.out()).contains("llama (tiny-m)", "kv cache");
    }

    @Test
    void aFileThatIsNotGgufIsExitSevenWithTheReason() throws Exception {
        Path fake = Files.writeString(home.resolve("model.gguf"), "<html>404 Not Found</html>" + " ".repeat(64));
        Cli.Result result = new Cli(home).run("models", "inspect", fake.toString());
        assertThat(result.code()).isEqualTo(ExitCode.CONFIG_INVALID.code());
        assertThat(result.err()).contains("is not a usable GGUF file: wrong magic", "download the model again");
        Cli.Result missing = new Cli(home).run("models", "inspect", home.resolve("none.gguf").toString());
        assertThat(missing.code()).isEqualTo(ExitCode.NOT_FOUND.code());
    }
}
