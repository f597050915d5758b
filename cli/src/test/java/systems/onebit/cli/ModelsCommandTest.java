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

    @Test
    void addListFitAndRemoveRegisteredModels() throws Exception {
        Path small = new TinyGguf().embedding(64).layers(2).context(512).write(home.resolve("small.gguf"));
        Path big = new TinyGguf().embedding(128).layers(4).context(512).write(home.resolve("big.gguf"));
        // A fake amdgpu sysfs: 1 GiB GTT + 512 MiB VRAM.
        Path host = home.resolve("host");
        Path device = Files.createDirectories(host.resolve("sys/class/drm/card1/device"));
        Files.writeString(device.resolve("mem_info_gtt_total"), Long.toString(1L << 30));
        Files.writeString(device.resolve("mem_info_vram_total"), Long.toString(512L << 20));
        Cli cli = new Cli(home).env("ONEBIT_HOST_ROOT", host.toString());
        assertThat(cli.run("models", "add", small.toString(), "--flavor", "cpu").code()).isZero();
        assertThat(cli.run("models", "add", big.toString(), "--alias", "big:latest", "--ctx", "2048", "--parallel", "2", "--pin").code()).isZero();
        Cli.Result taken = cli.run("models", "add", small.toString());
        assertThat(taken.code()).isEqualTo(ExitCode.CONFLICT.code());
        assertThat(taken.err()).contains("alias 'small' is already registered");

        JsonNode list = new ObjectMapper().readTree(cli.run("models", "list", "--json").out());
        assertThat(list).extracting(m -> m.get("alias").asText()).containsExactly("small", "big:latest");
        assertThat(list.get(1).get("pinned").asBoolean()).isTrue();
        assertThat(list.get(1).get("parallel").asInt()).isEqualTo(2);

        // Two tiny models plus 512 MiB overhead each: 1 GiB+ -> fits in 1.5 GiB, not in 1 GiB.
        Cli.Result fit = cli.run("models", "fit", "--json");
        assertThat(fit.code()).as(fit.toString()).isZero();
        JsonNode doc = new ObjectMapper().readTree(fit.out());
        assertThat(doc.get("budgetBytes").asLong()).isEqualTo((1L << 30) + (512L << 20));
        assertThat(doc.get("fits").asBoolean()).isTrue();
        long total = doc.get("totalBytes").asLong();
        assertThat(doc.get("marginBytes").asLong()).isEqualTo(doc.get("budgetBytes").asLong() - total);
        Cli.Result tight = cli.run("models", "fit", "small", "big:latest", "--budget", "1");
        assertThat(tight.code()).isEqualTo(ExitCode.PRECONDITION.code());
        assertThat(tight.out()).contains("does not fit: short by");
        assertThat(cli.run("models", "fit", "small", "--budget", "1").code()).isZero();

        assertThat(cli.run("models", "rm", "small").code()).isZero();
        assertThat(cli.run("models", "rm", "small").code()).isEqualTo(ExitCode.NOT_FOUND.code());
        assertThat(new ObjectMapper().readTree(cli.run("models", "list", "--json").out())).hasSize(1);
        // The registry file still holds the backends untouched next to the models.
        assertThat(cli.run("backends", "list", "--json").code()).isZero();
    }
}
