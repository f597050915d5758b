package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.registry.RegistryStore;
import systems.onebit.orchestrator.testing.LlamaServer;
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
        cli = new Cli(home).env("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString()).env("ONEBIT_SYSTEMD", "none");
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

    @Test
    void theLiveEndpointIsMeasuredThroughTheProxyWithOneAndSeveralStreams() throws Exception {
        try (LlamaServer server = LlamaServer.start(model, "bench-live", home, 256, List.of("-np", "3"))) {
            int proxyPort = Cli.freePort();
            new RegistryStore(cli.configDir().resolve("registry.yaml")).update(r -> new Registry("127.0.0.1", proxyPort, "",
                    List.of()));
            Cli.Result added = cli.run("backends", "add", "live", "--kind", "openai", "--url", server.url().toString());
            assertThat(added.code()).as(added.toString()).isZero();
            Cli.Result up = cli.run("up");
            assertThat(up.code()).as(up.toString()).isZero();
            try {
                Cli.Result live = cli.run("bench", "--endpoint", "--streams", "3", "-n", "24", "--json");
                assertThat(live.code()).as(live.toString()).isZero();
                JsonNode doc = JSON.readTree(live.out());
                assertThat(doc.path("endpoint").asText()).isEqualTo("http://127.0.0.1:" + proxyPort);
                assertThat(doc.path("model").asText()).as("the first model the proxy lists").isEqualTo("bench-live");
                assertThat(doc.path("rounds")).extracting(r -> r.path("streams").asInt() + "/" + r.path("completed").asInt())
                        .containsExactly("1/1", "3/3");
                for (JsonNode round : doc.path("rounds")) {
                    assertThat(round.path("medianTtftMs").asDouble()).isPositive();
                    assertThat(round.path("medianTokensPerSecond").asDouble()).isPositive();
                    assertThat(round.path("totalTokensPerSecond").asDouble()).isPositive();
                }

                // A model nobody serves: every stream fails with the proxy's answer, and the exit code says so.
                Cli.Result unknown = cli.run("bench", "--endpoint", "no-such-model", "--streams", "2", "-n", "4");
                assertThat(unknown.code()).as(unknown.toString()).isEqualTo(ExitCode.PARTIAL.code());
                assertThat(unknown.out()).contains("HTTP 404");
            } finally {
                cli.run("down");
            }
        }
    }
}
