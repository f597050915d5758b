package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static systems.onebit.orchestrator.testing.PodmanTestService.podman;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zeroturnaround.exec.ProcessExecutor;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.registry.RegistryStore;
import systems.onebit.orchestrator.testing.LlamaServer;
import systems.onebit.orchestrator.testing.PodmanTestService;
import systems.onebit.orchestrator.testing.TestImages;
import systems.onebit.orchestrator.testing.TinyGguf;

/**
 * `1bit up / status / down` end to end: real rootful Podman running the REAL llama-server (TestImages.llamaServer,
 * through a user manifest override of the cpu flavor) on two generated GGUF models, the proxy started as a detached
 * process, and a chat completion through it with curl.
 */
class StackIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONTEXT = 256;

    @TempDir
    Path home;

    private Cli cli;
    private final String suffix = UUID.randomUUID().toString().substring(0, 6);
    private final String a = "sa-" + suffix;
    private final String b = "sb-" + suffix;
    private int proxyPort;

    @BeforeEach
    void setUp() throws Exception {
        cli = new Cli(home)
                .env("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString())
                .env("ONEBIT_SYSTEMD", "none");
        TestImages.cpuManifest(cli.configDir().resolve("toolbox-manifests"), "-c", Integer.toString(CONTEXT), "-np", "2");
        Path models = Files.createDirectories(home.resolve("models"));
        Path modelA = new TinyGguf().seed(1).context(CONTEXT).name("tiny-a").write(models.resolve("a.gguf"));
        Path modelB = new TinyGguf().seed(2).context(CONTEXT).name("tiny-b").write(models.resolve("b.gguf"));
        proxyPort = Cli.freePort();
        int portA = Cli.freePort();
        int portB = Cli.freePort();
        new RegistryStore(cli.configDir().resolve("registry.yaml")).update(r -> new Registry("127.0.0.1", proxyPort, a, List.of(
                toolbox(a, portA, modelA, "tiny-a"), toolbox(b, portB, modelB, "tiny-b"))));
    }

    static Backend toolbox(String name, int port, Path model, String alias) {
        return new Backend(name, BackendKind.TOOLBOX, URI.create("http://127.0.0.1:" + port), "cpu",
                List.of(model.toString()), List.of("--alias", alias), Backend.DEFAULT_PRIORITY, true);
    }

    @AfterEach
    void tearDown() {
        cli.run("down");
        PodmanTestService.removeQuietly(a, b);
    }

    private JsonNode json(Cli.Result result) throws Exception {
        return JSON.readTree(result.out());
    }

    private Map<String, String> health(JsonNode status) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        status.get("components").forEach(c -> out.put(c.get("name").asText(), c.get("health").asText()));
        return out;
    }

    private String containerId(String name) {
        return podman("inspect", "--format", "{{.Id}} {{.State.StartedAt}}", name).strip();
    }

    @Test
    void upStatusChatDownAndUpTwiceIsANoOp() throws Exception {
        Cli.Result up = cli.run("up", "--json");
        assertThat(up.code()).as(up.toString()).isZero();
        List<String> outcomes = new ArrayList<>();
        json(up).get("components").forEach(c -> outcomes.add(c.get("component").asText() + "=" + c.get("outcome").asText()));
        assertThat(outcomes).containsExactly(a + "=changed", b + "=changed", "proxy=changed");
        assertThat(podman("inspect", "--format", "{{.State.Status}}", a).strip()).isEqualTo("running");

        Cli.Result status = cli.run("status", "--json");
        assertThat(status.code()).as(status.toString()).isZero();
        JsonNode doc = json(status);
        assertThat(doc.get("state").asText()).isEqualTo("healthy");
        assertThat(health(doc)).containsEntry("proxy", "healthy").containsEntry(a, "healthy").containsEntry(b, "healthy");
        JsonNode proxyRow = java.util.stream.StreamSupport.stream(doc.get("components").spliterator(), false)
                .filter(c -> c.get("name").asText().equals("proxy")).findFirst().orElseThrow();
        assertThat(proxyRow.get("models").asInt()).isEqualTo(2);
        // No Podman socket answering (a default host): the containers' state comes from the podman program instead.
        JsonNode noSocket = json(cli.env("ONEBIT_PODMAN_SOCKET", home.resolve("no-such.sock").toString()).run("status", "--json"));
        cli.env("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString());
        assertThat(java.util.stream.StreamSupport.stream(noSocket.get("components").spliterator(), false)
                .filter(c -> c.get("name").asText().equals(a)).map(c -> c.get("state").asText()).toList()).containsExactly("running");

        // A chat completion through the proxy with a real client, routed by model to the second backend.
        String answer = new ProcessExecutor("curl", "-sS", "--max-time", "60", "-H", "Content-Type: application/json",
                "-d", "{\"model\":\"tiny-b\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "http://127.0.0.1:" + proxyPort + "/v1/chat/completions").readOutput(true).exitValueNormal()
                .execute().outputUTF8();
        JsonNode chat = JSON.readTree(answer);
        assertThat(chat.path("object").asText()).as(answer).isEqualTo("chat.completion");
        assertThat(chat.path("model").asText()).isEqualTo("tiny-b");
        assertThat(chat.path("usage").path("completion_tokens").asInt()).isPositive();

        String idsBefore = containerId(a) + containerId(b);
        String pidBefore = Files.readString(home.resolve("state/1bit/proxy.pid"));
        Cli.Result again = cli.run("up", "--json");
        assertThat(again.code()).as(again.toString()).isZero();
        List<String> second = new ArrayList<>();
        json(again).get("components").forEach(c -> second.add(c.get("outcome").asText()));
        assertThat(second).containsOnly("unchanged").hasSize(3);
        assertThat(containerId(a) + containerId(b)).isEqualTo(idsBefore);
        assertThat(Files.readString(home.resolve("state/1bit/proxy.pid"))).isEqualTo(pidBefore);

        Cli.Result down = cli.run("down");
        assertThat(down.code()).as(down.toString()).isZero();
        assertThat(down.out()).contains("proxy: stopped", a + ": stopped", b + ": stopped");
        assertThat(home.resolve("state/1bit/proxy.pid")).doesNotExist();
        assertThat(podman("inspect", "--format", "{{.State.Status}}", a).strip()).isIn("exited", "stopped");

        Cli.Result after = cli.run("status", "--json");
        assertThat(after.code()).as(after.toString()).isEqualTo(ExitCode.DOWN.code());
        assertThat(json(after).get("state").asText()).isEqualTo("down");
        assertThat(health(json(after))).containsEntry("proxy", "down").containsEntry(a, "down").containsEntry(b, "down");

        Cli.Result downAgain = cli.run("down", "--json");
        assertThat(downAgain.code()).isZero();
        json(downAgain).get("components").forEach(c -> assertThat(c.get("outcome").asText()).isEqualTo("unchanged"));
    }
}
