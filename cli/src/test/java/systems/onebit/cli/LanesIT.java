package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static systems.onebit.orchestrator.testing.PodmanTestService.podman;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zeroturnaround.exec.ProcessExecutor;
import systems.onebit.orchestrator.lanes.WebuiContainer;
import systems.onebit.orchestrator.lanes.WebuiManifest;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.registry.RegistryStore;
import systems.onebit.orchestrator.testing.FlmStandIn;
import systems.onebit.orchestrator.testing.GaiaStandIn;
import systems.onebit.orchestrator.testing.PodmanTestService;
import systems.onebit.orchestrator.testing.StandInPrograms;
import systems.onebit.orchestrator.testing.TestImages;

/**
 * Every lane from one `up`: FastFlowLM on the NPU (an {@code flm} stand-in: no NPU here), Open WebUI (its stand-in
 * image, tagged with the manifest's name, on real Podman) and GAIA (a {@code gaia} stand-in), then the proxy; `down`
 * stops them all. The host tree (ONEBIT_HOST_ROOT) has the NPU's device node, or not.
 */
class LanesIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "sk-lanes-test";

    @TempDir
    Path home;

    private Cli cli;
    private Path hostRoot;
    private int proxyPort;
    private int flmPort;
    private int webuiPort;
    private int gaiaPort;

    @BeforeEach
    void setUp() throws Exception {
        Path bin = home.resolve("bin");
        StandInPrograms.write(bin, "flm", FlmStandIn.class);
        StandInPrograms.write(bin, "gaia", GaiaStandIn.class);
        hostRoot = Files.createDirectories(home.resolve("host"));
        // GAIA is looked for on PATH inside the host tree, as on the real host.
        StandInPrograms.write(hostRoot.resolve(bin.toString().substring(1)), "gaia", GaiaStandIn.class);
        npuDevice(true);
        Files.createDirectories(hostRoot.resolve("proc/self"));
        Files.writeString(hostRoot.resolve("proc/self/limits"), """
                Limit                     Soft Limit           Hard Limit           Units
                Max locked memory         unlimited            unlimited            bytes
                """);
        Files.writeString(hostRoot.resolve("proc/cmdline"), "BOOT_IMAGE=/vmlinuz iommu=pt\n");
        cli = new Cli(home)
                .env("PATH", bin + ":" + System.getenv("PATH"))
                .env("ONEBIT_HOST_ROOT", hostRoot.toString())
                .env("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString())
                .env("ONEBIT_SYSTEMD", "none")
                .env("ONEBIT_API_KEY", KEY);
        proxyPort = Cli.freePort();
        flmPort = Cli.freePort();
        webuiPort = Cli.freePort();
        gaiaPort = Cli.freePort();
        // Open WebUI on a free port (the user's copy of the manifest), the image the embedded manifest names.
        String image = WebuiManifest.load(home.resolve("none")).image();
        TestImages.openWebUi(image);
        Files.createDirectories(cli.configDir().resolve("apps"));
        Files.writeString(cli.configDir().resolve("apps/open-webui.yaml"), """
                image: %s
                port: %d
                healthPath: /health
                dataVolume: 1bit-open-webui-test
                dataPath: /app/backend/data
                environment:
                  HOST: 127.0.0.1
                  PORT: "%d"
                """.formatted(image, webuiPort, webuiPort));
        new RegistryStore(cli.configDir().resolve("registry.yaml")).update(r -> new Registry("127.0.0.1", proxyPort, "",
                List.of(new Backend("flm", BackendKind.FLM, URI.create("http://127.0.0.1:" + flmPort), "",
                        List.of("llama3.2:1b"), List.of("--ctx-len", "4096"), 200, true)))
                .withApps(new Registry.Apps(true, "container", true, gaiaPort)));
    }

    @AfterEach
    void tearDown() {
        cli.run("down");
        PodmanTestService.removeQuietly(WebuiContainer.CONTAINER);
        podman("volume", "rm", "-f", "1bit-open-webui-test");
    }

    private void npuDevice(boolean present) throws Exception {
        Path accel = hostRoot.resolve("dev/accel/accel0");
        if (present) {
            Files.createDirectories(accel.getParent());
            Files.writeString(accel, "");
        } else {
            Files.deleteIfExists(accel);
        }
    }

    private String get(String url, String... headers) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("curl", "-sS", "--max-time", "20"));
        for (String h : headers) {
            command.addAll(List.of("-H", h));
        }
        command.add(url);
        return new ProcessExecutor(command).readOutput(true).exitValueNormal().execute().outputUTF8();
    }

    private long pid(String lane) throws Exception {
        return Long.parseLong(Files.readString(home.resolve("state/1bit/" + lane + ".pid")).strip().split(" ")[0]);
    }

    @Test
    void upStartsEveryLaneTheProxyRoutesToTheNpuAndDownStopsThemAll() throws Exception {
        Cli.Result up = cli.run("up");
        assertThat(up.code()).as(up.toString()).isZero();
        assertThat(up.out()).contains("npu: ", "open-webui: ", "gaia: ", "proxy: ");
        assertThat(up.out().indexOf("proxy: ")).as("the proxy last").isGreaterThan(up.out().indexOf("gaia: "));

        // The NPU lane's model, through the proxy.
        String chat = new ProcessExecutor("curl", "-sS", "--max-time", "20", "-H", "Content-Type: application/json",
                "-H", "Authorization: Bearer " + KEY, "-d",
                "{\"model\":\"llama3.2:1b\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "http://127.0.0.1:" + proxyPort + "/v1/chat/completions").readOutput(true).exitValueNormal().execute().outputUTF8();
        assertThat(JSON.readTree(chat).path("choices").get(0).path("message").path("content").asText()).as(chat)
                .isEqualTo(FlmStandIn.ANSWER);
        // /proc has the whole command line (ProcessHandle cuts a long one).
        String flm = new String(Files.readAllBytes(Path.of("/proc/" + pid("npu") + "/cmdline"))).replace('\0', ' ');
        assertThat(flm).contains("serve llama3.2:1b --host 127.0.0.1 --port " + flmPort + " --ctx-len 4096");
        Cli.Result gaiaLog = cli.run("gaia", "logs", "-n", "20");
        assertThat(gaiaLog.code()).as(gaiaLog.toString()).isZero();
        assertThat(gaiaLog.out()).contains("GAIA stand-in Agent UI on http://127.0.0.1:" + gaiaPort);

        // Open WebUI: the proxy's URL and key in its container, read by the program in it.
        String env = podman("inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", WebuiContainer.CONTAINER);
        assertThat(env).contains("OPENAI_API_BASE_URL=http://127.0.0.1:" + proxyPort + "/v1", "OPENAI_API_KEY=" + KEY);
        assertThat(JSON.readTree(get("http://127.0.0.1:" + webuiPort + "/api/config")).path("openai_api_base_url").asText())
                .isEqualTo("http://127.0.0.1:" + proxyPort + "/v1");

        // GAIA: its UI answers, given the proxy's Lemonade API.
        JsonNode gaia = JSON.readTree(get("http://127.0.0.1:" + gaiaPort + "/api/lemonade"));
        assertThat(gaia.path("base_url").asText()).isEqualTo("http://127.0.0.1:" + proxyPort + "/api/v1");
        assertThat(gaia.path("LEMONADE_BASE_URL").asText()).isEqualTo("http://127.0.0.1:" + proxyPort + "/api/v1");

        // status: one row each, every lane counted and healthy.
        Cli.Result status = cli.run("status", "--json");
        JsonNode rows = JSON.readTree(status.out()).path("components");
        assertThat(rows).filteredOn(c -> List.of("proxy", "flm", "open-webui", "gaia").contains(c.path("name").asText()))
                .extracting(c -> c.path("name").asText() + "=" + c.path("health").asText() + "/" + c.path("counts").asBoolean())
                .containsExactlyInAnyOrder("proxy=healthy/true", "flm=healthy/true", "open-webui=healthy/true", "gaia=healthy/true");

        // A second up changes nothing.
        Cli.Result again = cli.run("up", "--json");
        assertThat(again.code()).as(again.toString()).isZero();
        assertThat(JSON.readTree(again.out()).path("components")).extracting(c -> c.path("outcome").asText())
                .containsOnly("unchanged");

        // Open WebUI's data outlives the container: webui down, then up.
        podman("exec", WebuiContainer.CONTAINER, "sh", "-c", "echo kept > /app/backend/data/marker");
        assertThat(cli.run("webui", "down").code()).isZero();
        assertThat(PodmanTestService.podmanResult("container", "exists", WebuiContainer.CONTAINER).getExitValue()).isNotZero();
        Cli.Result webuiUp = cli.run("webui", "up");
        assertThat(webuiUp.code()).as(webuiUp.toString()).isZero();
        assertThat(podman("exec", WebuiContainer.CONTAINER, "cat", "/app/backend/data/marker").strip()).isEqualTo("kept");

        long npu = pid("npu");
        long gaiaPid = pid("gaia");
        long proxy = pid("proxy");
        Cli.Result down = cli.run("down");
        assertThat(down.code()).as(down.toString()).isZero();
        assertThat(down.out().indexOf("proxy: ")).as("the proxy first").isLessThan(down.out().indexOf("npu: "));
        for (long p : new long[] {npu, gaiaPid, proxy}) {
            assertThat(ProcessHandle.of(p).filter(ProcessHandle::isAlive)).as("pid " + p + " stopped").isEmpty();
        }
        assertThat(PodmanTestService.podmanResult("container", "exists", WebuiContainer.CONTAINER).getExitValue())
                .as("no container left").isNotZero();
    }

    @Test
    void npuUpWithoutTheNpuFailsWithTheDoctorsFixAndStartsNothing() throws Exception {
        npuDevice(false);
        Cli.Result refused = cli.run("npu", "up", "llama3.2:1b");
        assertThat(refused.code()).as(refused.toString()).isEqualTo(ExitCode.PRECONDITION.code());
        assertThat(refused.err()).contains("the NPU is not usable", "/dev/accel", "modprobe amdxdna");
        assertThat(home.resolve("state/1bit/npu.pid")).doesNotExist();
    }

    @Test
    void aLaneThatFailsIsReportedWhileTheOthersComeUp() throws Exception {
        Files.delete(home.resolve("bin/flm"));  // FastFlowLM not installed
        Cli.Result up = cli.run("up", "--json");
        assertThat(up.code()).as(up.toString()).isEqualTo(ExitCode.PARTIAL.code());
        JsonNode components = JSON.readTree(up.out()).path("components");
        assertThat(components).filteredOn(c -> c.path("component").asText().equals("npu"))
                .singleElement().satisfies(c -> {
                    assertThat(c.path("outcome").asText()).isEqualTo("failed");
                    assertThat(c.path("error").asText()).contains("FastFlowLM is not installed");
                });
        assertThat(components).filteredOn(c -> !c.path("component").asText().equals("npu"))
                .extracting(c -> c.path("component").asText() + "=" + c.path("outcome").asText())
                .containsExactlyInAnyOrder("open-webui=changed", "gaia=changed", "proxy=changed");
    }
}
