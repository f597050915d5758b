package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static systems.onebit.orchestrator.testing.PodmanTestService.podman;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.testing.ModelFiles;
import systems.onebit.orchestrator.testing.PodmanTestService;
import systems.onebit.orchestrator.testing.SocketFaultProxy;

/**
 * Bad input and faults, on real Podman: each gives one line on stderr that says what to do, a documented exit code,
 * and leaves no container behind.
 */
class ToolboxFaultsIT {

    @TempDir
    Path home;

    private Cli cli;
    private Path model;
    private final String name = "fault-" + UUID.randomUUID().toString().substring(0, 8);
    private final String other = name + "-b";

    @BeforeEach
    void setUp() throws Exception {
        cli = new Cli(home)
                .env("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString())
                .env("ONEBIT_HOST_ROOT", Cli.hostWithDevices(home.resolve("host"), true).toString());
        model = ModelFiles.emptyGguf(home.resolve("models"), "m.gguf");
    }

    @AfterEach
    void tearDown() {
        PodmanTestService.removeQuietly(name, other);
    }

    private String onebitContainers() {
        return podman("ps", "-a", "--filter", "label=systems.onebit.backend", "--format", "{{.Names}}");
    }

    /** Runs a command that must fail with {@code code} and one stderr line containing {@code message}. */
    private Cli.Result fails(ExitCode code, String message, String... args) {
        String before = onebitContainers();
        Cli.Result result = cli.run(args);
        assertThat(result.code()).as(result.toString()).isEqualTo(code.code());
        assertThat(result.errLines()).as(result.toString()).hasSize(1);
        assertThat(result.err()).startsWith("1bit: ").contains(message);
        assertThat(onebitContainers()).as("nothing half-created").isEqualTo(before);
        return result;
    }

    private String[] create(String... more) {
        String[] base = {"toolbox", "create", name, "--model", model.toString(), "--port", "0"};
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void unknownFlavor() {
        fails(ExitCode.USAGE, "unknown flavor 'vulkan': choose one of vulkan-radv", create("--flavor", "vulkan"));
    }

    @Test
    void missingModelFile() {
        fails(ExitCode.NOT_FOUND, "model file " + home.resolve("nope.gguf") + " does not exist",
                "toolbox", "create", name, "--flavor", "vulkan-radv", "--model", home.resolve("nope.gguf").toString());
    }

    @Test
    void unreadableModels() throws Exception {
        // Root reads any file whatever its mode, so "unreadable" here is a directory and a file that is not GGUF.
        fails(ExitCode.PRECONDITION, "is not a regular file",
                "toolbox", "create", name, "--flavor", "vulkan-radv", "--model", home.resolve("models").toString());
        Path text = Files.writeString(home.resolve("models/readme.gguf"), "not a model");
        fails(ExitCode.PRECONDITION, "is not a GGUF file",
                "toolbox", "create", name, "--flavor", "vulkan-radv", "--model", text.toString());
    }

    @Test
    void modelWithoutPermissionIsRefusedForOrdinaryUsers() throws Exception {
        Path locked = ModelFiles.emptyGguf(home.resolve("locked"), "m.gguf");
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        boolean root = "root".equals(System.getProperty("user.name"));
        Cli.Result result = cli.run("toolbox", "create", name, "--flavor", "vulkan-radv", "--model", locked.toString(),
                "--port", Integer.toString(Cli.freePort()));
        // As root (CI) permissions do not apply and create succeeds; as a user it must be refused.
        assertThat(result.code()).as(result.toString()).isEqualTo(root ? 0 : ExitCode.PRECONDITION.code());
    }

    @Test
    void nameAlreadyUsed() throws Exception {
        int port = Cli.freePort();
        assertThat(cli.run("toolbox", "create", name, "--flavor", "vulkan-radv", "--model", model.toString(),
                "--port", Integer.toString(port)).code()).isZero();
        fails(ExitCode.CONFLICT, "the name '" + name + "' is already used by a 1bit toolbox",
                "toolbox", "create", name, "--flavor", "vulkan-radv", "--model", model.toString(), "--port", Integer.toString(Cli.freePort()));
        fails(ExitCode.CONFLICT, "port " + port + " is already assigned to toolbox '" + name + "'",
                "toolbox", "create", other, "--flavor", "vulkan-radv", "--model", model.toString(), "--port", Integer.toString(port));
    }

    @Test
    void nameUsedByAForeignContainer() {
        podman("create", "--name", other, "localhost/onebit-test/busybox:1", "true");
        fails(ExitCode.CONFLICT, "already used by a container not made by 1bit",
                "toolbox", "create", other, "--flavor", "vulkan-radv", "--model", model.toString(), "--port", "18099");
    }

    @Test
    void portAlreadyTaken() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            // The holder is read from /proc: this JVM, which does not answer HTTP.
            fails(ExitCode.CONFLICT, "port " + port + " on 127.0.0.1 is already in use by java (pid "
                            + ProcessHandle.current().pid() + "): stop it, or choose another port with --port",
                    "toolbox", "create", name, "--flavor", "vulkan-radv", "--model", model.toString(), "--port", Integer.toString(port));
        }
    }

    @Test
    void portHeldByLemonadeIsNamed() throws Exception {
        // Lemonade stand-in: its documented health path and shape (docs/api/lemonade.md), nothing else.
        HttpServer lemonade = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        lemonade.createContext("/api/v1/health", exchange -> {
            byte[] body = "{\"status\":\"ok\",\"model_loaded\":null,\"all_models_loaded\":[]}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        lemonade.start();
        try {
            int port = lemonade.getAddress().getPort();
            fails(ExitCode.CONFLICT, "port " + port + " on 127.0.0.1 is already in use by java (pid "
                            + ProcessHandle.current().pid() + "), which answers as Lemonade",
                    "toolbox", "create", name, "--flavor", "vulkan-radv", "--model", model.toString(), "--port", Integer.toString(port));
        } finally {
            lemonade.stop(0);
        }
    }

    @Test
    void portTakenBeforeStartIsRefusedWithoutStarting() throws Exception {
        int port = Cli.freePort();
        assertThat(cli.run("toolbox", "create", name, "--flavor", "vulkan-radv", "--model", model.toString(),
                "--port", Integer.toString(port)).code()).isZero();
        try (ServerSocket taken = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            fails(ExitCode.CONFLICT, "port " + port + " on 127.0.0.1 is already in use", "toolbox", "start", name);
        }
        assertThat(podman("inspect", "--format", "{{.State.Status}}", name).strip()).isIn("created", "configured");
    }

    @Test
    void rocmFlavorOnAHostWithoutKfd() throws Exception {
        cli.env("ONEBIT_HOST_ROOT", Cli.hostWithDevices(home.resolve("host-nokfd"), false).toString());
        fails(ExitCode.PRECONDITION, "flavor rocm-6.4.4 needs /dev/kfd, which this host does not have: ROCm needs",
                create("--flavor", "rocm-6.4.4"));
        assertThat(cli.run("toolbox", "create", name, "--flavor", "vulkan-radv", "--model", model.toString(),
                "--port", Integer.toString(Cli.freePort())).code()).isZero();
    }

    @Test
    void vulkanFlavorOnAHostWithoutGpu() throws Exception {
        cli.env("ONEBIT_HOST_ROOT", Files.createDirectories(home.resolve("no-gpu")).toString());
        fails(ExitCode.PRECONDITION, "needs /dev/dri", create("--flavor", "vulkan-radv"));
        assertThat(cli.run("toolbox", "create", name, "--flavor", "cpu", "--model", model.toString(),
                "--port", Integer.toString(Cli.freePort())).code()).isZero();
    }

    @Test
    void imageNotOnTheHost() throws Exception {
        Path manifests = Files.createDirectories(cli.configDir().resolve("toolbox-manifests"));
        Files.writeString(manifests.resolve("cpu.yaml"), Files.readString(Path.of("../toolbox-manifests/cpu.yaml"))
                .replace("ghcr.io/ggml-org/llama.cpp:server", "localhost/onebit-test/absent:1"));
        fails(ExitCode.PRECONDITION, "image localhost/onebit-test/absent:1 (flavor cpu) is not on this host: pull it with `podman pull",
                "toolbox", "create", name, "--flavor", "cpu", "--model", model.toString(), "--port", "18098", "--pull=never");
        // By default create pulls a missing image; here no registry answers, so the pull fails and nothing is made.
        String before = onebitContainers();
        Cli.Result pulled = cli.run("toolbox", "create", name, "--flavor", "cpu", "--model", model.toString(), "--port", "18098");
        assertThat(pulled.code()).as(pulled.toString()).isEqualTo(ExitCode.PRECONDITION.code());
        assertThat(pulled.errLines().getLast()).startsWith("1bit: cannot pull image localhost/onebit-test/absent:1 (")
                .contains("podman pull localhost/onebit-test/absent:1");
        assertThat(onebitContainers()).isEqualTo(before);
    }

    @Test
    void malformedManifest() throws Exception {
        Path manifests = Files.createDirectories(cli.configDir().resolve("toolbox-manifests"));
        Files.writeString(manifests.resolve("mine.yaml"), "flavor: mine\nimage: x\ncommand: [llama-server]\nhealthPath: /health\n");
        fails(ExitCode.CONFIG_INVALID, manifests.resolve("mine.yaml") + ": field 'command' has no {port} placeholder",
                "toolbox", "flavors");
        fails(ExitCode.CONFIG_INVALID, "field 'command'", create("--flavor", "vulkan-radv"));
    }

    @Test
    void malformedRegistryIsReportedAndKept() throws Exception {
        Files.createDirectories(cli.configDir());
        Path registry = cli.configDir().resolve("registry.yaml");
        String broken = "backends: [ {name: a, kind: toolbox\n";
        Files.writeString(registry, broken);
        fails(ExitCode.CONFIG_INVALID, "registry " + registry + " is not valid YAML", "backends", "add", "x", "--kind", "openai", "--port", "9000");
        fails(ExitCode.CONFIG_INVALID, "1bit never overwrites it", "backends", "list");
        assertThat(Files.readString(registry)).isEqualTo(broken);
    }

    @Test
    void podmanMissing() throws Exception {
        Path emptyBin = Files.createDirectories(home.resolve("empty-bin"));
        cli.without("ONEBIT_PODMAN_SOCKET").env("PATH", emptyBin.toString())
                .env("ONEBIT_HOST_ROOT", Files.createDirectories(home.resolve("bare-host")).toString());
        Cli.Result result = cli.run("toolbox", "list");
        assertThat(result.code()).as(result.toString()).isEqualTo(ExitCode.ENGINE_UNAVAILABLE.code());
        assertThat(result.errLines()).singleElement().asString()
                .startsWith("1bit: podman is not installed").contains("install Podman");
    }

    @Test
    void podmanSocketDeadMidCommand() throws Exception {
        for (String n : new String[] {name, other}) {
            assertThat(cli.run("toolbox", "create", n, "--flavor", "vulkan-radv", "--model", model.toString(),
                    "--port", Integer.toString(Cli.freePort())).code()).isZero();
        }
        Path real = Path.of(PodmanTestService.socket().getPath());
        try (SocketFaultProxy proxy = new SocketFaultProxy(home.resolve("flaky.sock"), real, "/containers/" + name + "/start")) {
            cli.env("ONEBIT_PODMAN_SOCKET", proxy.path().toString());
            Cli.Result result = cli.run("toolbox", "start", name, other);
            assertThat(proxy.dead()).isTrue();
            assertThat(result.code()).as(result.toString()).isEqualTo(ExitCode.ENGINE_UNAVAILABLE.code());
            assertThat(result.errLines()).hasSize(2);
            assertThat(result.errLines().get(0)).startsWith("1bit: " + name + ": the Podman socket").contains("does not answer", "systemctl");
            assertThat(result.errLines().get(1)).startsWith("1bit: " + other + ": the Podman socket");
        }
        // Neither was started behind our back.
        for (String n : new String[] {name, other}) {
            assertThat(podman("inspect", "--format", "{{.State.Status}}", n).strip()).isIn("created", "configured");
        }
    }

    @Test
    void probeOfAStoppedToolboxSaysToStartIt() throws Exception {
        assertThat(cli.run("toolbox", "create", name, "--flavor", "vulkan-radv", "--model", model.toString(),
                "--port", Integer.toString(Cli.freePort())).code()).isZero();
        fails(ExitCode.PRECONDITION, "toolbox '" + name + "' is not running (created): start it with `1bit toolbox start " + name + "`",
                "toolbox", "probe", name);
    }

    @Test
    void probeTimesOutWhenTheBackendNeverGetsHealthy() throws Exception {
        // A user flavor whose "backend" runs but never listens.
        Path manifests = Files.createDirectories(cli.configDir().resolve("toolbox-manifests"));
        Files.writeString(manifests.resolve("sleeper.yaml"), Files.readString(Path.of("../toolbox-manifests/cpu.yaml"))
                .replace("flavor: cpu", "flavor: sleeper").replaceAll("command: \\[.*]", "command: [sleep, \"600\", \"{port}\"]")
                .replace("ghcr.io/ggml-org/llama.cpp:server", "localhost/onebit-test/busybox:1"));
        assertThat(cli.run("toolbox", "create", name, "--flavor", "sleeper", "--model", model.toString(),
                "--port", Integer.toString(Cli.freePort())).code()).isZero();
        assertThat(cli.run("toolbox", "start", name).code()).isZero();
        fails(ExitCode.TIMEOUT, "was not healthy within 1500 ms", "toolbox", "probe", name, "--timeout", "1.5");
    }

    @Test
    void probeNoticesABackendThatDiesWhileStarting() throws Exception {
        Path doomed = ModelFiles.emptyGguf(home.resolve("doomed"), "m.gguf");
        assertThat(cli.run("toolbox", "create", name, "--flavor", "vulkan-radv", "--model", doomed.toString(),
                "--port", Integer.toString(Cli.freePort())).code()).isZero();
        Files.delete(doomed);
        assertThat(cli.run("toolbox", "start", name).code()).isZero();
        long start = System.nanoTime();
        // Either the probe sees it die while waiting, or it has already exited: both point at the logs.
        fails(ExitCode.PRECONDITION, "see why with `1bit toolbox logs",
                "toolbox", "probe", name, "--timeout", "30");
        assertThat((System.nanoTime() - start) / 1_000_000).as("gave up early, not at the timeout").isLessThan(15_000);
    }

    @Test
    void usageErrorsAreExitCode2() {
        Cli.Result result = cli.run("toolbox", "create", name);
        assertThat(result.code()).isEqualTo(ExitCode.USAGE.code());
        assertThat(result.err()).contains("Missing required option: '--flavor=FLAVOR'");
        assertThat(cli.run("toolbox", "frobnicate").code()).isEqualTo(ExitCode.USAGE.code());
    }
}
