package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.testing.PodmanTestService;
import systems.onebit.orchestrator.testing.TestImages;
import systems.onebit.orchestrator.testing.TinyGguf;

/**
 * `1bit bench` with the REAL llama-bench (built from the same llama.cpp bundle as llama-server, in the test image) in
 * a flavor's container: runs measured, kept and compared with the previous one; a flavor whose image cannot be had
 * fails alone while the others run.
 */
class BenchIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    private Cli cli;
    private Path model;

    @BeforeEach
    void setUp() throws Exception {
        cli = new Cli(home).env("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString());
        Path manifests = cli.configDir().resolve("toolbox-manifests");
        Path cpu = TestImages.cpuManifest(manifests);
        // A flavor whose image is on no registry this machine reaches.
        Files.writeString(manifests.resolve("nothere.yaml"), Files.readString(cpu).replace("flavor: cpu", "flavor: nothere")
                .replaceFirst("image: .*", "image: localhost/onebit-test/no-such-image:1"));
        model = new TinyGguf().seed(31).context(256).write(Files.createDirectories(home.resolve("models")).resolve("bench.gguf"));
    }

    @Test
    void runsAreMeasuredKeptComparedAndAMissingImageFailsAlone() throws Exception {
        Cli.Result first = cli.run("bench", model.toString(), "--flavor", "cpu", "--flavor", "nothere", "-p", "16", "-n", "8", "--json");
        assertThat(first.code()).as(first.toString()).isEqualTo(ExitCode.PARTIAL.code());
        JsonNode runs = JSON.readTree(first.out()).path("runs");
        assertThat(runs.get(0).path("flavor").asText()).isEqualTo("cpu");
        assertThat(runs.get(0).path("promptTokensPerSecond").asDouble()).isPositive();
        assertThat(runs.get(0).path("generateTokensPerSecond").asDouble()).isPositive();
        assertThat(runs.get(0).path("previousGenerateTokensPerSecond").isNull()).isTrue();
        assertThat(runs.get(1).path("flavor").asText()).isEqualTo("nothere");
        assertThat(runs.get(1).path("error").asText()).contains("localhost/onebit-test/no-such-image:1");

        Cli.Result second = cli.run("bench", model.toString(), "--flavor", "cpu", "-p", "16", "-n", "8");
        assertThat(second.code()).as(second.toString()).isZero();
        assertThat(second.out()).contains("cpu").containsPattern("[+-][0-9.]+ % / [+-][0-9.]+ %");
        Path stored = home.resolve(".local/share/1bit/bench/runs.jsonl");
        assertThat(Files.readAllLines(stored)).hasSize(2).allSatisfy(line ->
                assertThat(JSON.readTree(line).path("model").asText()).isEqualTo("bench.gguf"));
        assertThat(PodmanTestService.podman("ps", "-a", "--filter", "label=systems.onebit.one-shot", "--format", "{{.Names}}").strip())
                .as("no bench container left").isEmpty();
    }
}
