package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackendsCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    private Cli cli;

    @BeforeEach
    void setUp() {
        cli = new Cli(home);
    }

    private JsonNode list() throws Exception {
        Cli.Result result = cli.run("backends", "list", "--json");
        assertThat(result.code()).as(result.toString()).isZero();
        return JSON.readTree(result.out());
    }

    @Test
    void aPeerOverPlainHttpBeyondLoopbackNeedsInsecureAndComesAfterLocalBackends() throws Exception {
        Cli.Result refused = cli.run("backends", "add", "box2", "--kind", "peer", "--url", "http://10.0.0.2:13306");
        assertThat(refused.code()).as(refused.toString()).isEqualTo(ExitCode.USAGE.code());
        assertThat(refused.err()).contains("plain http to the peer 10.0.0.2", "--insecure");
        assertThat(cli.run("backends", "add", "box2", "--kind", "peer", "--url", "http://10.0.0.2:13306", "--insecure",
                "--api-key-env", "BOX2_KEY").code()).isZero();
        assertThat(cli.run("backends", "add", "box3", "--kind", "peer", "--url", "https://box3.lan:13306").code()).isZero();
        assertThat(cli.run("backends", "add", "here", "--kind", "peer", "--url", "http://127.0.0.1:23306").code()).isZero();
        JsonNode backends = list().path("backends");
        assertThat(backends).filteredOn(b -> b.path("kind").asText().equals("peer"))
                .extracting(b -> b.path("name").asText() + "/" + b.path("priority").asInt())
                .containsExactly("box2/200", "box3/200", "here/200");
        assertThat(Files.readString(cli.configDir().resolve("registry.yaml"))).contains("insecure: true");
    }

    @Test
    void defaultsAreListedBeforeAnyFileExists() throws Exception {
        JsonNode doc = list();
        assertThat(doc.get("proxy").get("port").asInt()).isEqualTo(13306);
        assertThat(doc.get("defaultBackend").asText()).isEqualTo("llama");
        assertThat(doc.get("backends")).extracting(b -> b.get("name").asText() + "@" + b.get("port").asInt())
                .containsExactly("llama@13305", "flm@52625");
        assertThat(cli.configDir().resolve("registry.yaml")).doesNotExist();
    }

    @Test
    void addEnableDisableRemove() throws Exception {
        Cli.Result add = cli.run("backends", "add", "lemon", "--kind", "lemonade", "--port", "8000", "--priority", "50",
                "--model", "Qwen3-0.6B-GGUF");
        assertThat(add.code()).as(add.toString()).isZero();
        assertThat(cli.run("backends", "add", "big", "--kind", "toolbox", "--flavor", "rocm-7.2.2", "--port", "13307",
                "--model", "/models/big.gguf", "--arg", "--jinja").code()).isZero();
        JsonNode lemon = find(list(), "lemon");
        assertThat(lemon.get("url").asText()).isEqualTo("http://127.0.0.1:8000");
        assertThat(lemon.get("priority").asInt()).isEqualTo(50);
        assertThat(lemon.get("enabled").asBoolean()).isTrue();
        JsonNode big = find(list(), "big");
        assertThat(big.get("flavor").asText()).isEqualTo("rocm-7.2.2");
        assertThat(big.get("args")).extracting(JsonNode::asText).containsExactly("--jinja");

        assertThat(cli.run("backends", "disable", "lemon").code()).isZero();
        assertThat(find(list(), "lemon").get("enabled").asBoolean()).isFalse();
        assertThat(cli.run("backends", "enable", "lemon").code()).isZero();
        assertThat(find(list(), "lemon").get("enabled").asBoolean()).isTrue();
        assertThat(cli.run("backends", "rm", "lemon").code()).isZero();
        assertThat(list().get("backends")).extracting(b -> b.get("name").asText()).containsExactly("llama", "flm", "big");
        assertThat(cli.run("backends", "list").out()).contains("llama (default)", "big", "rocm-7.2.2");
    }

    private static JsonNode find(JsonNode doc, String name) {
        for (JsonNode b : doc.get("backends")) {
            if (b.get("name").asText().equals(name)) {
                return b;
            }
        }
        throw new AssertionError("no backend " + name + " in " + doc);
    }

    @Test
    void badInputGivesOneLineAndAnExitCode() {
        expect(ExitCode.USAGE, "unknown kind 'gpu'", "backends", "add", "x", "--kind", "gpu");
        expect(ExitCode.USAGE, "unknown flavor 'rocm'", "backends", "add", "x", "--kind", "toolbox", "--flavor", "rocm");
        expect(ExitCode.USAGE, "'bad/name' is not a valid name", "backends", "add", "bad/name", "--kind", "openai");
        expect(ExitCode.USAGE, "Missing required parameter: 'NAME' (see '1bit backends add --help')", "backends", "add",
                "--kind", "openai");
        expect(ExitCode.USAGE, "give --url or --port, not both", "backends", "add", "x", "--kind", "openai",
                "--url", "http://127.0.0.1:1", "--port", "2");
        expect(ExitCode.USAGE, "is not an http(s) URL", "backends", "add", "x", "--kind", "openai", "--url", "ftp://h/");
        expect(ExitCode.CONFLICT, "a backend named 'llama' is already registered", "backends", "add", "llama", "--kind", "openai");
        expect(ExitCode.NOT_FOUND, "no backend named 'nope'", "backends", "rm", "nope");
        expect(ExitCode.NOT_FOUND, "no backend named 'nope'", "backends", "enable", "nope");
        assertThat(cli.configDir().resolve("registry.yaml")).doesNotExist();
    }

    private void expect(ExitCode code, String message, String... args) {
        Cli.Result result = cli.run(args);
        assertThat(result.code()).as(result.toString()).isEqualTo(code.code());
        assertThat(result.errLines()).as(result.toString()).hasSize(1);
        assertThat(result.err()).startsWith("1bit: ").contains(message);
    }

    @Test
    void addsFromSeparateProcessesAtOnceAllLand() throws Exception {
        // Real separate JVMs running `1bit backends add` at the same moment against one registry file.
        String java = ProcessHandle.current().info().command().orElse("java");
        String classpath = System.getProperty("java.class.path");
        List<Process> processes = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ProcessBuilder pb = new ProcessBuilder(java, "-cp", classpath, "systems.onebit.cli.Main",
                    "backends", "add", "p" + i, "--kind", "openai", "--port", Integer.toString(9100 + i));
            pb.environment().put("XDG_CONFIG_HOME", home.resolve("config").toString());
            pb.environment().put("HOME", home.toString());
            processes.add(pb.redirectErrorStream(true).start());
        }
        for (Process p : processes) {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
        }
        assertThat(list().get("backends")).extracting(b -> b.get("name").asText())
                .containsExactlyInAnyOrder("llama", "flm", "p0", "p1", "p2", "p3", "p4", "p5");
    }
}
