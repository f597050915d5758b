package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static systems.onebit.orchestrator.testing.PodmanTestService.podman;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zeroturnaround.exec.ProcessExecutor;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.registry.RegistryStore;
import systems.onebit.orchestrator.testing.PodmanTestService;
import systems.onebit.orchestrator.testing.TestImages;
import systems.onebit.orchestrator.testing.TinyGguf;

/**
 * On-demand models through the CLI: `models add`, `up` (the detached `1bit proxy`), a chat request that loads the
 * model in a REAL llama-server container, `models running`, `status`, `models unload`, and `down`, after which no
 * on-demand container is left.
 */
class OnDemandCliIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    private Cli cli;
    private int proxyPort;
    private Path model;

    @BeforeEach
    void setUp() throws Exception {
        cli = new Cli(home)
                .env("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString())
                .env("ONEBIT_SYSTEMD", "none");
        TestImages.cpuManifest(cli.configDir().resolve("toolbox-manifests"));
        model = new TinyGguf().seed(5).context(256).name("tiny").write(Files.createDirectories(home.resolve("models")).resolve("tiny.gguf"));
        proxyPort = Cli.freePort();
        new RegistryStore(cli.configDir().resolve("registry.yaml")).update(r -> new Registry("127.0.0.1", proxyPort, "", List.of()));
    }

    @AfterEach
    void tearDown() {
        cli.run("down");
    }

    private JsonNode row(String name) throws Exception {
        Cli.Result status = cli.run("status", "--json");
        return StreamSupport.stream(JSON.readTree(status.out()).get("components").spliterator(), false)
                .filter(c -> c.get("name").asText().equals(name)).findFirst().orElseThrow(() -> new AssertionError(status));
    }

    @Test
    void aRegisteredModelLoadsOnRequestShowsInStatusAndUnloads() throws Exception {
        Cli.Result add = cli.run("models", "add", model.toString(), "--alias", "tiny", "--flavor", "cpu", "--ttl", "10m");
        assertThat(add.code()).as(add.toString()).isZero();
        Cli.Result notYet = cli.run("models", "running");
        assertThat(notYet.code()).as(notYet.toString()).isEqualTo(ExitCode.PRECONDITION.code());
        assertThat(notYet.err()).contains("not answering", "1bit up");

        Cli.Result up = cli.run("up");
        assertThat(up.code()).as(up.toString()).isZero();
        assertThat(row("tiny").get("state").asText()).isEqualTo("not loaded");

        String answer = new ProcessExecutor("curl", "-sS", "--max-time", "90", "-H", "Content-Type: application/json",
                "-d", "{\"model\":\"tiny\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "http://127.0.0.1:" + proxyPort + "/v1/chat/completions").readOutput(true).exitValueNormal().execute().outputUTF8();
        assertThat(JSON.readTree(answer).path("object").asText()).as(answer).isEqualTo("chat.completion");

        Cli.Result running = cli.run("models", "running", "--json");
        assertThat(running.code()).as(running.toString()).isZero();
        JsonNode loaded = JSON.readTree(running.out()).get("running").get(0);
        assertThat(loaded.get("model").asText()).isEqualTo("tiny");
        assertThat(loaded.get("state").asText()).isEqualTo("ready");
        assertThat(podman("inspect", "--format", "{{.State.Status}}", loaded.get("backend").asText()).strip()).isEqualTo("running");
        assertThat(cli.run("models", "running").out()).contains("tiny", "ready", "budget in use");
        JsonNode shown = row("tiny");
        assertThat(shown.get("health").asText()).isEqualTo("healthy");
        assertThat(shown.get("state").asText()).startsWith("ready");
        assertThat(shown.get("endpoint").asText()).isEqualTo(loaded.get("url").asText());

        Cli.Result unknown = cli.run("models", "unload", "nope");
        assertThat(unknown.code()).as(unknown.toString()).isEqualTo(ExitCode.NOT_FOUND.code());
        Cli.Result unload = cli.run("models", "unload", "tiny");
        assertThat(unload.code()).as(unload.toString()).isZero();
        assertThat(unload.out()).contains("unloaded tiny");
        assertThat(row("tiny").get("state").asText()).isEqualTo("not loaded");

        // Loaded again, then `down`: the proxy unloads it on its way out.
        new ProcessExecutor("curl", "-sS", "--max-time", "90", "-H", "Content-Type: application/json",
                "-d", "{\"model\":\"tiny\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "http://127.0.0.1:" + proxyPort + "/v1/chat/completions").readOutput(true).exitValueNormal().execute();
        Cli.Result down = cli.run("down");
        assertThat(down.code()).as(down.toString()).isZero();
        assertThat(down.out()).contains("on-demand models: unchanged, none left running");
        assertThat(podman("ps", "-a", "--filter", "label=systems.onebit.on-demand=tiny", "--format", "{{.Names}}").strip()).isEmpty();

        // A proxy killed outright leaves its model running: `down` removes it.
        assertThat(cli.run("up").code()).isZero();
        new ProcessExecutor("curl", "-sS", "--max-time", "90", "-H", "Content-Type: application/json",
                "-d", "{\"model\":\"tiny\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "http://127.0.0.1:" + proxyPort + "/v1/chat/completions").readOutput(true).exitValueNormal().execute();
        long pid = Long.parseLong(Files.readString(home.resolve("state/1bit/proxy.pid")).strip().split(" ")[0]);
        ProcessHandle proxyProcess = ProcessHandle.of(pid).orElseThrow();
        proxyProcess.destroyForcibly();
        proxyProcess.onExit().get();
        assertThat(podman("ps", "--filter", "label=systems.onebit.on-demand=tiny", "--format", "{{.Names}}").strip())
                .isEqualTo("1bit-model-tiny");
        Cli.Result cleanup = cli.run("down");
        assertThat(cleanup.code()).as(cleanup.toString()).isZero();
        assertThat(cleanup.out()).contains("on-demand models: removed 1bit-model-tiny");
        assertThat(podman("ps", "-a", "--filter", "label=systems.onebit.on-demand=tiny", "--format", "{{.Names}}").strip()).isEmpty();
    }
}
