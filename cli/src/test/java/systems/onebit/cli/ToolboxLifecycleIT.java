package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static systems.onebit.orchestrator.testing.PodmanTestService.podman;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.testing.ModelFiles;
import systems.onebit.orchestrator.testing.PodmanTestService;
import systems.onebit.orchestrator.testing.TestImages;

/**
 * End to end on real rootful Podman: create, start, probe, stop and rm a toolbox whose container serves HTTP on the
 * host network (the test image's stand-in llama-server), with `list --json` cross-checked against `podman ps` at
 * every step, device passthrough checked from inside, and a container made outside 1bit never touched.
 */
class ToolboxLifecycleIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    private Cli cli;
    private final String name = "tb-" + UUID.randomUUID().toString().substring(0, 8);
    private final String foreign = "foreign-" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeEach
    void setUp() throws Exception {
        cli = new Cli(home)
                .env("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString())
                .env("ONEBIT_HOST_ROOT", Cli.hostWithDevices(home.resolve("host"), true).toString());
        podman("run", "-d", "--init", "--name", foreign, TestImages.BASE, "sleep", "600");
    }

    @AfterEach
    void tearDown() {
        PodmanTestService.removeQuietly(name, foreign);
    }

    /** name to state of the 1bit containers, as podman itself reports them. */
    private static Map<String, String> podmanView() throws Exception {
        Map<String, String> view = new LinkedHashMap<>();
        for (JsonNode c : JSON.readTree(podman("ps", "-a", "--filter", "label=systems.onebit.backend", "--format", "json"))) {
            view.put(c.get("Names").get(0).asText(), c.get("State").asText());
        }
        return view;
    }

    private Map<String, String> listView() throws Exception {
        Cli.Result list = cli.run("toolbox", "list", "--json");
        assertThat(list.code()).as(list.toString()).isZero();
        Map<String, String> view = new LinkedHashMap<>();
        for (JsonNode t : JSON.readTree(list.out())) {
            view.put(t.get("name").asText(), t.get("state").asText());
        }
        return view;
    }

    private void assertListAgreesWithPodman(String expectedState) throws Exception {
        Map<String, String> podman = podmanView();
        Map<String, String> ours = listView();
        assertThat(ours).isEqualTo(podman.entrySet().stream().collect(java.util.stream.Collectors.toMap(
                Map.Entry::getKey, e -> normalise(e.getValue()))));
        if (expectedState.isEmpty()) {
            assertThat(ours).doesNotContainKey(name);
        } else {
            assertThat(ours).containsEntry(name, expectedState);
        }
        assertThat(ours).doesNotContainKey(foreign);
    }

    private static String normalise(String podmanState) {
        return switch (podmanState) {
            case "configured", "created" -> "created";
            case "stopped", "exited" -> "exited";
            default -> podmanState;
        };
    }

    @Test
    void createStartProbeStopRemove() throws Exception {
        Path model = ModelFiles.emptyGguf(home.resolve("models"), "tiny-q4.gguf");
        int port = Cli.freePort();
        assertListAgreesWithPodman("");

        Cli.Result created = cli.run("toolbox", "create", name, "--flavor", "rocm-7.2.2", "--model", model.toString(),
                "--port", Integer.toString(port));
        assertThat(created.code()).as(created.toString()).isZero();
        assertThat(created.out()).contains("created " + name, "rocm-7.2.2", "http://127.0.0.1:" + port);
        assertListAgreesWithPodman("created");

        Cli.Result started = cli.run("toolbox", "start", name);
        assertThat(started.code()).as(started.toString()).isZero();
        assertThat(started.out()).isEqualTo(name + ": started on http://127.0.0.1:" + port + "\n");
        assertListAgreesWithPodman("running");

        Cli.Result probe = cli.run("toolbox", "probe", name, "--timeout", "20", "--json");
        assertThat(probe.code()).as(probe.toString()).isZero();
        JsonNode report = JSON.readTree(probe.out());
        assertThat(report.get("url").asText()).isEqualTo("http://127.0.0.1:" + port);
        assertThat(report.get("models")).extracting(JsonNode::asText).containsExactly("tiny-q4.gguf");

        // Inside: the flavor's devices, groups, seccomp, init, and the model directory mounted read-only.
        Cli.Result inside = cli.run("toolbox", "exec", name, "--", "sh", "-c",
                "ls /dev/dri; ls /dev/kfd; id; grep '^Seccomp:' /proc/self/status; cat /proc/1/cmdline | tr '\\0' ' '; "
                        + "echo; ls /models; (echo x > /models/new) 2>/dev/null && echo writable || echo read-only");
        assertThat(inside.code()).as(inside.toString()).isZero();
        assertThat(inside.out()).contains("renderD128", "card0", "/dev/kfd", "39(video)", "105(render)",
                "tiny-q4.gguf", "read-only");
        assertThat(inside.out()).containsPattern("Seccomp:\\s+0");
        assertThat(inside.out()).containsPattern("(podman-init|catatonit)");
        assertThat(cli.run("toolbox", "exec", name, "--", "sh", "-c", "exit 7").code()).isEqualTo(7);

        Cli.Result logs = cli.run("toolbox", "logs", name);
        assertThat(logs.out() + logs.err()).contains("stand-in llama-server: model /models/tiny-q4.gguf on 127.0.0.1:" + port);

        Cli.Result stopped = cli.run("toolbox", "stop", name);
        assertThat(stopped.code()).as(stopped.toString()).isZero();
        assertListAgreesWithPodman("exited");

        Cli.Result removed = cli.run("toolbox", "rm", name);
        assertThat(removed.code()).as(removed.toString()).isZero();
        assertListAgreesWithPodman("");
        assertThat(podman("inspect", "--format", "{{.State.Status}}", foreign).strip()).isEqualTo("running");
    }

    @Test
    void theDeviceNodesOwnerGroupsAreTheContainersGroups() throws Exception {
        // As on Debian/Ubuntu: 0660 nodes owned by host groups whose numbers the image's group file does not know.
        Path host = home.resolve("host");
        Files.setAttribute(host.resolve("dev/dri/renderD128"), "unix:gid", 4242);
        Files.setAttribute(host.resolve("dev/kfd"), "unix:gid", 4343);
        Path model = ModelFiles.emptyGguf(home.resolve("models"), "g.gguf");
        assertThat(cli.run("toolbox", "create", name, "--flavor", "rocm-7.14", "--model", model.toString(),
                "--port", Integer.toString(Cli.freePort())).code()).isZero();
        assertThat(cli.run("toolbox", "start", name).code()).isZero();
        Cli.Result groups = cli.run("toolbox", "exec", name, "--", "sh", "-c", "grep '^Groups:' /proc/self/status");
        assertThat(groups.code()).as(groups.toString()).isZero();
        assertThat(groups.out().split("\\s+")).contains("4242", "4343", "39", "105");
    }

    @Test
    void enterOpensAShellInsideThatReadsStdin() throws Exception {
        Path model = ModelFiles.emptyGguf(home.resolve("models"), "m.gguf");
        assertThat(cli.run("toolbox", "create", name, "--flavor", "vulkan-radv", "--model", model.toString(),
                "--port", Integer.toString(Cli.freePort())).code()).isZero();
        assertThat(cli.run("toolbox", "start", name).code()).isZero();
        // A separate process: enter hands the terminal (here a pipe) to `podman exec -i`; the image has no bash,
        // so the login shell falls back to /bin/sh.
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"),
                "systems.onebit.cli.Main", "toolbox", "enter", name).redirectErrorStream(true);
        pb.environment().put("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString());
        pb.environment().put("XDG_CONFIG_HOME", home.resolve("config").toString());
        Process process = pb.start();
        try (var stdin = process.getOutputStream()) {
            stdin.write("echo inside-$((6*7)); ls /models; exit 3\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        assertThat(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(output).contains("inside-42", "m.gguf");
        assertThat(process.exitValue()).as(output).isEqualTo(3);
    }

    @Test
    void containersMadeOutside1bitAreNeverTouched() throws Exception {
        for (String[] args : new String[][] {{"toolbox", "stop", foreign}, {"toolbox", "rm", "--force", foreign},
                {"toolbox", "restart", foreign}, {"toolbox", "exec", foreign, "--", "true"}}) {
            Cli.Result result = cli.run(args);
            assertThat(result.code()).as(result.toString()).isEqualTo(ExitCode.NOT_FOUND.code());
            assertThat(result.err()).contains("was not made by 1bit");
        }
        assertThat(cli.run("toolbox", "list").out()).doesNotContain(foreign);
        assertThat(podman("inspect", "--format", "{{.State.Status}}", foreign).strip()).isEqualTo("running");
    }

    @Test
    void severalNamesReportPerItem() throws Exception {
        Path model = ModelFiles.emptyGguf(home.resolve("models"), "m.gguf");
        assertThat(cli.run("toolbox", "create", name, "--flavor", "vulkan-radv", "--model", model.toString(),
                "--port", Integer.toString(Cli.freePort())).code()).isZero();
        Cli.Result started = cli.run("toolbox", "start", name, "no-such-toolbox");
        assertThat(started.code()).isEqualTo(ExitCode.PARTIAL.code());
        assertThat(started.out()).startsWith(name + ": started on ");
        assertThat(started.errLines()).containsExactly(
                "1bit: no-such-toolbox: no toolbox named 'no-such-toolbox': see `1bit toolbox list`");
        Cli.Result removed = cli.run("toolbox", "rm", name, "no-such-toolbox");
        assertThat(removed.code()).isEqualTo(ExitCode.PARTIAL.code());
        assertThat(removed.err()).contains(name + ": toolbox '" + name + "' is running", "--force");
        assertThat(cli.run("toolbox", "rm", "--force", name).code()).isZero();
        assertThat(podmanView()).doesNotContainKey(name);
    }
}
