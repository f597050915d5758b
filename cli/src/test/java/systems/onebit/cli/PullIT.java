package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zeroturnaround.exec.ProcessExecutor;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.registry.RegistryStore;
import systems.onebit.orchestrator.testing.HubStandIn;
import systems.onebit.orchestrator.testing.PodmanTestService;
import systems.onebit.orchestrator.testing.TestImages;
import systems.onebit.orchestrator.testing.TinyGguf;

/**
 * `1bit pull` against the Hub stand-in ($HF_ENDPOINT; no network reaches the Hub here): every form of reference, the
 * Hugging Face cache layout under $HOME/.cache/huggingface/hub, errors, a pull killed mid-file and resumed, `models
 * rm --purge`, and a pulled model answering a chat through the proxy from a REAL llama-server container.
 */
class PullIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    private HubStandIn hub;
    private Cli cli;
    private int proxyPort;

    @BeforeEach
    void setUp() throws Exception {
        hub = new HubStandIn();
        cli = new Cli(home).env("HF_ENDPOINT", hub.endpoint().toString())
                .env("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString())
                .env("ONEBIT_SYSTEMD", "none");
        proxyPort = Cli.freePort();
        new RegistryStore(cli.configDir().resolve("registry.yaml")).update(r -> new Registry("127.0.0.1", proxyPort, "", List.of()));
    }

    @AfterEach
    void tearDown() {
        cli.run("down");
        hub.close();
    }

    private byte[] tiny(long seed) throws Exception {
        return Files.readAllBytes(new TinyGguf().seed(seed).context(256).write(home.resolve("made/" + seed + ".gguf")));
    }

    private JsonNode pull(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("pull"));
        all.addAll(List.of(args));
        all.add("--json");
        Cli.Result result = cli.run(all.toArray(String[]::new));
        assertThat(result.code()).as(result.toString()).isZero();
        return JSON.readTree(result.out());
    }

    private Path cache() {
        return home.resolve(".cache/huggingface/hub");
    }

    @Test
    void everyFormOfReferenceLandsInTheCacheAndASecondPullDownloadsNothing() throws Exception {
        byte[] q8 = tiny(1);
        String q8Sha = hub.put("org/Tiny-GGUF", "Tiny-Q8_0.gguf", q8);
        byte[] f32 = tiny(2);
        hub.put("org/Tiny-GGUF", "Tiny-F32.gguf", f32);
        hub.put("org/Solo-GGUF", "solo.gguf", tiny(3));
        // The catalog's gpt-oss-20b, served by the stand-in under its real repository and file name.
        hub.put("ggml-org/gpt-oss-20b-GGUF", "gpt-oss-20b-mxfp4.gguf", tiny(4));

        assertThat(pull("org/Solo-GGUF").path("alias").asText()).isEqualTo("solo");
        JsonNode quant = pull("org/Tiny-GGUF:q8_0");
        assertThat(quant.path("alias").asText()).isEqualTo("tiny:q8_0");
        Path link = cache().resolve("models--org--Tiny-GGUF/snapshots/" + HubStandIn.COMMIT + "/Tiny-Q8_0.gguf");
        assertThat(quant.path("files").get(0).asText()).isEqualTo(link.toString());
        assertThat(Files.readSymbolicLink(link)).isEqualTo(Path.of("../../blobs/" + q8Sha));
        assertThat(Files.readString(cache().resolve("models--org--Tiny-GGUF/refs/main"))).isEqualTo(HubStandIn.COMMIT);
        assertThat(pull("org/Tiny-GGUF/Tiny-F32.gguf", "--alias", "f32").path("downloadedBytes").asLong()).isEqualTo(f32.length);
        JsonNode byUrl = pull(hub.endpoint() + "/org/Tiny-GGUF/resolve/main/Tiny-F32.gguf", "--no-register");
        assertThat(byUrl.path("downloadedBytes").asLong()).as("the same file, already here").isZero();
        assertThat(byUrl.path("alias").isNull()).isTrue();
        JsonNode catalog = pull("gpt-oss-20b");
        assertThat(catalog.path("alias").asText()).isEqualTo("gpt-oss-20b");
        JsonNode listed = JSON.readTree(cli.run("models", "catalog", "--json").out());
        assertThat(listed.path("models")).filteredOn(m -> m.path("name").asText().equals("gpt-oss-20b"))
                .extracting(m -> m.path("downloaded").asBoolean()).containsExactly(true);
        int fetched = hub.seen().size();

        JsonNode again = pull("org/Tiny-GGUF:Q8_0");
        assertThat(again.path("downloadedBytes").asLong()).isZero();
        assertThat(again.path("reusedBytes").asLong()).isEqualTo(q8.length);
        assertThat(hub.seen()).as("a second pull downloads nothing").hasSize(fetched);
        assertThat(cli.run("models", "list").out()).contains("solo", "tiny:q8_0", "f32", "gpt-oss-20b");

        // Purge: the blob goes with its link; a file another model uses stays.
        Cli.Result purged = cli.run("models", "rm", "tiny:q8_0", "--purge");
        assertThat(purged.code()).as(purged.toString()).isZero();
        assertThat(link).doesNotExist();
        assertThat(cache().resolve("models--org--Tiny-GGUF/blobs/" + q8Sha)).doesNotExist();
        assertThat(cli.run("models", "add", cache().resolve("models--org--Tiny-GGUF/snapshots/" + HubStandIn.COMMIT
                + "/Tiny-F32.gguf").toString(), "--alias", "f32-again").code()).isZero();
        assertThat(cli.run("models", "rm", "f32", "--purge").out()).contains("kept its files");
    }

    @Test
    void badReferencesAndRefusalsSayWhatToDoAndTheTokenStaysWithTheHub() throws Exception {
        hub.put("org/Tiny-GGUF", "Tiny-Q8_0.gguf", tiny(5));
        hub.put("org/Tiny-GGUF", "Tiny-F32.gguf", tiny(6));
        Cli.Result ambiguous = cli.run("pull", "org/Tiny-GGUF");
        assertThat(ambiguous.code()).as(ambiguous.toString()).isEqualTo(ExitCode.USAGE.code());
        assertThat(ambiguous.err()).contains("several models", "org/Tiny-GGUF:Q8_0", "org/Tiny-GGUF:F32");
        Cli.Result missing = cli.run("pull", "org/Nope-GGUF:Q4_K_M");
        assertThat(missing.code()).isEqualTo(ExitCode.NOT_FOUND.code());
        assertThat(missing.err()).contains("not on the Hub (404)");
        Cli.Result noQuant = cli.run("pull", "org/Tiny-GGUF:Q4_K_M");
        assertThat(noQuant.code()).isEqualTo(ExitCode.NOT_FOUND.code());
        assertThat(noQuant.err()).contains("has no Q4_K_M file", "Tiny-Q8_0.gguf");
        Cli.Result bad = cli.run("pull", "not a ref");
        assertThat(bad.code()).isEqualTo(ExitCode.USAGE.code());
        assertThat(bad.err()).contains("is not a model reference");

        hub.gate("org/Tiny-GGUF", "hf_right");
        Cli.Result gated = cli.run("pull", "org/Tiny-GGUF:Q8_0");
        assertThat(gated.code()).isEqualTo(ExitCode.PRECONDITION.code());
        assertThat(gated.err()).contains("401", "accept the licence at " + hub.endpoint() + "/org/Tiny-GGUF", "hf auth login");
        // The token from `hf auth login`'s file: sent to the Hub, never to the storage host it redirects to.
        Files.createDirectories(home.resolve(".cache/huggingface"));
        Files.writeString(home.resolve(".cache/huggingface/token"), "hf_right\n");
        pull("org/Tiny-GGUF:Q8_0");
        assertThat(hub.seen()).isNotEmpty().allSatisfy(s -> assertThat(s.authorization()).isEqualTo("null"));
        assertThat(cli.run("pull", "org/Tiny-GGUF:Q8_0").out() + cli.run("pull", "org/Tiny-GGUF:Q8_0").err())
                .doesNotContain("hf_right");
    }

    @Test
    void aPullKilledMidFileResumesWithARange() throws Exception {
        byte[] big = Files.readAllBytes(new TinyGguf().embedding(256).write(home.resolve("made/big.gguf")));
        String sha = hub.put("org/Big-GGUF", "Big-F32.gguf", big);
        hub.throttle(big.length / 4);  // about four seconds for the whole file
        Path incomplete = cache().resolve("models--org--Big-GGUF/blobs/" + sha + ".incomplete");
        // A separate JVM running the CLI, killed with SIGKILL: no chance to clean up.
        List<String> command = List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), "systems.onebit.cli.Main", "pull", "org/Big-GGUF:F32");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = builder.environment();
        env.put("HOME", home.toString());
        env.put("XDG_CONFIG_HOME", home.resolve("config").toString());
        env.put("XDG_STATE_HOME", home.resolve("state").toString());
        env.put("HF_ENDPOINT", hub.endpoint().toString());
        env.remove("HF_HUB_CACHE");
        env.remove("HF_HOME");
        Process first = builder.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!(Files.exists(incomplete) && Files.size(incomplete) >= big.length * 4L / 10) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        first.destroyForcibly().waitFor();
        long kept = Files.size(incomplete);
        assertThat(kept).as("killed at 40 % or later, before the end").isBetween(big.length * 4L / 10, big.length - 1L);

        hub.throttle(0);
        JsonNode resumed = pull("org/Big-GGUF:F32");
        assertThat(resumed.path("downloadedBytes").asLong()).isEqualTo(big.length - kept);
        assertThat(hub.seen().getLast().range()).isEqualTo("bytes=" + kept + "-");
        assertThat(Files.readAllBytes(Path.of(resumed.path("files").get(0).asText()))).isEqualTo(big);
        assertThat(incomplete).doesNotExist();
    }

    @Test
    void aPulledModelAnswersThroughTheProxyFromARealLlamaServerContainer() throws Exception {
        TestImages.cpuManifest(cli.configDir().resolve("toolbox-manifests"));
        hub.put("org/Tiny-GGUF", "Tiny-Q8_0.gguf", tiny(7));
        assertThat(pull("org/Tiny-GGUF:Q8_0", "--flavor", "cpu", "--alias", "tiny").path("alias").asText()).isEqualTo("tiny");
        Cli.Result up = cli.run("up");
        assertThat(up.code()).as(up.toString()).isZero();
        String answer = new ProcessExecutor("curl", "-sS", "--max-time", "90", "-H", "Content-Type: application/json",
                "-d", "{\"model\":\"tiny\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "http://127.0.0.1:" + proxyPort + "/v1/chat/completions").readOutput(true).exitValueNormal().execute().outputUTF8();
        assertThat(JSON.readTree(answer).path("object").asText()).as(answer).isEqualTo("chat.completion");
        assertThat(JSON.readTree(answer).path("usage").path("completion_tokens").asInt()).isEqualTo(3);
    }
}
