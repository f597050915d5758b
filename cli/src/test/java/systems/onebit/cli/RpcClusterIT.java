package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zeroturnaround.exec.ProcessExecutor;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.registry.RegistryStore;
import systems.onebit.orchestrator.testing.LlamaServer;
import systems.onebit.orchestrator.testing.PodmanTestService;
import systems.onebit.orchestrator.testing.TestImages;
import systems.onebit.orchestrator.testing.TinyGguf;

/**
 * A real llama.cpp RPC cluster on one machine: two REAL rpc-server workers, each in its own network namespace
 * (addresses inside them only, reached over veth pairs), and the head, a toolbox backend (the real llama-server image)
 * whose llama-server offloads every layer to both with --rpc. Temperature 0 gives the same text as the same model on
 * one node; a worker killed makes the head's requests fail (not hang) and `cluster status` names it; a worker address
 * that does not answer stops `toolbox create` with that address. Needs root (CI runs as root).
 */
class RpcClusterIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    private final String tag = UUID.randomUUID().toString().substring(0, 5);
    private final NetNamespaces net = new NetNamespaces();
    private Cli cli;
    private int proxyPort;
    private Process worker2;

    @BeforeEach
    void cluster() throws Exception {
        Path rpc = LlamaServer.binary().resolveSibling("rpc-server");
        assertThat(rpc).as("the RPC worker built with llama-server (.ci/build-llama-server.sh)").isExecutable();
        String w1 = net.add("onebit-w1-" + tag);
        String w2 = net.add("onebit-w2-" + tag);
        net.link("", "10.232.1.1", w1, "10.232.1.2", tag + "1");
        net.link("", "10.232.2.1", w2, "10.232.2.2", tag + "2");
        net.start(w1, List.of(rpc.toString(), "-H", "10.232.1.2", "-p", "50052"), Map.of(), home.resolve("w1.log"));
        worker2 = net.start(w2, List.of(rpc.toString(), "-H", "10.232.2.2", "-p", "50052"), Map.of(), home.resolve("w2.log"));
        cli = new Cli(home).env("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString()).env("ONEBIT_SYSTEMD", "none");
        TestImages.cpuManifest(cli.configDir().resolve("toolbox-manifests"));
        proxyPort = Cli.freePort();
        new RegistryStore(cli.configDir().resolve("registry.yaml")).update(r -> new Registry("127.0.0.1", proxyPort, "", List.of()));
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (cli.run("cluster", "status").code() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(200);  // the workers are listening
        }
    }

    @AfterEach
    void teardown() throws Exception {
        cli.run("down");
        PodmanTestService.removeQuietly("head", "bad", "worker", "open-worker", "far-worker");
        net.close();
    }

    private String chat(int port, String model) throws Exception {
        return new ProcessExecutor("curl", "-sS", "--max-time", "60", "-w", "\n%{http_code}", "-H", "Content-Type: application/json",
                "-d", "{\"model\":\"" + model + "\",\"temperature\":0,\"seed\":1,\"max_tokens\":12,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"once upon a time\"}]}",
                "http://127.0.0.1:" + port + "/v1/chat/completions").readOutput(true).execute().outputUTF8();
    }

    private static String content(String answer) throws Exception {
        String body = answer.substring(0, answer.lastIndexOf('\n'));
        return JSON.readTree(body).path("choices").get(0).path("message").path("content").asText();
    }

    @Test
    void theHeadOffloadsToBothWorkersSameTextAsOneNodeAndAKilledWorkerIsNamed() throws Exception {
        Path model = new TinyGguf().seed(21).context(256).name("split").write(Files.createDirectories(home.resolve("models"))
                .resolve("split.gguf"));
        // Idle workers report their memory: a model registered with them fits in this host's budget plus theirs.
        Cli.Result registered = cli.run("models", "add", model.toString(), "--alias", "split-rpc", "--flavor", "cpu",
                "--rpc", "10.232.1.2:50052", "--rpc", "10.232.2.2:50052");
        assertThat(registered.code()).as(registered.toString()).isZero();
        Cli.Result fit = cli.run("models", "fit", "split-rpc", "--budget", "0", "--json");
        JsonNode fitted = JSON.readTree(fit.out());
        assertThat(fitted.path("workers")).extracting(w -> w.path("address").asText())
                .containsExactly("10.232.1.2:50052", "10.232.2.2:50052");
        long lent = 0;
        for (JsonNode w : fitted.path("workers")) {
            assertThat(w.path("freeBytes").asLong()).as(fit.out()).isPositive();
            lent += w.path("freeBytes").asLong();
        }
        assertThat(fitted.path("budgetBytes").asLong()).isEqualTo(lent);
        assertThat(fit.code()).as("the tiny model fits in the workers' memory alone").isZero();
        assertThat(cli.run("models", "rm", "split-rpc").code()).isZero();

        Cli.Result added = cli.run("backends", "add", "head", "--kind", "toolbox", "--flavor", "cpu", "--model", model.toString(),
                "--port", Integer.toString(Cli.freePort()), "--rpc", "10.232.1.2:50052", "--rpc", "10.232.2.2:50052",
                "--arg", "-ngl", "--arg", "99", "--arg", "-lv", "--arg", "4");
        assertThat(added.code()).as(added.toString()).isZero();
        Cli.Result up = cli.run("up");
        assertThat(up.code()).as(up.toString()).isZero();
        String logs = cli.run("logs", "head", "-n", "0").out();
        // llama.cpp's own account (log level 4): the model's weights were placed on both workers.
        assertThat(logs).as("llama-server used both workers").containsPattern("load_tensors: RPC\\d\\[10\\.232\\.1\\.2:50052\\] model buffer size")
                .containsPattern("load_tensors: RPC\\d\\[10\\.232\\.2\\.2:50052\\] model buffer size");

        String viaCluster = chat(proxyPort, "split");
        assertThat(viaCluster).endsWith("200");
        try (LlamaServer single = LlamaServer.start(model, "split", home)) {
            String alone = chat(single.url().getPort(), "split");
            assertThat(content(viaCluster)).as("token for token the same as on one node").isEqualTo(content(alone)).isNotEmpty();
        }
        Cli.Result status = cli.run("cluster", "status", "--json");
        assertThat(status.code()).as(status.toString()).isZero();
        assertThat(JSON.readTree(status.out()).path("workers")).extracting(w -> w.path("address").asText() + "<-"
                + w.path("usedBy").get(0).asText()).containsExactly("10.232.1.2:50052<-head", "10.232.2.2:50052<-head");
        // A worker serves one head at a time: while this one holds both, their memory cannot be read, and says so.
        assertThat(JSON.readTree(status.out()).path("workers")).extracting(w -> w.at("/memory/note").asText())
                .allMatch(note -> note.startsWith("busy"));

        // A worker gone: the head's request ends with an error instead of hanging; cluster status names the worker.
        worker2.destroyForcibly().waitFor();
        long start = System.nanoTime();
        String failed = chat(proxyPort, "split");
        assertThat((System.nanoTime() - start) / 1_000_000_000L).as("no hang").isLessThan(60);
        assertThat(failed).doesNotEndWith("\n200");
        Cli.Result degraded = cli.run("cluster", "status", "--json");
        assertThat(degraded.code()).isEqualTo(ExitCode.DEGRADED.code());
        JsonNode down = JSON.readTree(degraded.out()).path("workers").get(1);
        assertThat(down.path("address").asText()).isEqualTo("10.232.2.2:50052");
        assertThat(down.path("reachable").asBoolean()).isFalse();
    }

    @Test
    void aWorkerThatDoesNotAnswerStopsCreateAndAContainerWorkerServes() throws Exception {
        Path model = new TinyGguf().seed(22).context(256).write(Files.createDirectories(home.resolve("models")).resolve("m.gguf"));
        Cli.Result refused = cli.run("toolbox", "create", "bad", "--flavor", "cpu", "--model", model.toString(),
                "--port", Integer.toString(Cli.freePort()), "--", "--rpc", "10.232.9.9:50052");
        assertThat(refused.code()).as(refused.toString()).isEqualTo(ExitCode.PRECONDITION.code());
        assertThat(refused.err()).contains("RPC worker 10.232.9.9:50052 does not answer");
        assertThat(PodmanTestService.podmanResult("container", "exists", "bad").getExitValue()).isNotZero();

        // A worker as a toolbox: the image's RPC server with the flavor's devices, found by the container itself.
        int port = Cli.freePort();
        Cli.Result created = cli.run("toolbox", "create", "worker", "--flavor", "cpu", "--rpc-worker", "--rpc-port",
                Integer.toString(port));
        assertThat(created.code()).as(created.toString()).isZero();
        assertThat(cli.run("toolbox", "start", "worker").code()).isZero();
        long deadline = System.nanoTime() + 20_000_000_000L;
        Cli.Result status = cli.run("cluster", "status", "--json");
        while (status.code() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            status = cli.run("cluster", "status", "--json");
        }
        assertThat(status.code()).as(status + cli.run("logs", "worker").out()).isZero();
        assertThat(JSON.readTree(status.out()).path("workers")).extracting(w -> w.path("address").asText() + " "
                + w.path("runHere").asText()).contains("127.0.0.1:" + port + " worker (running)");
        // An idle worker reports its devices' memory over the RPC protocol itself, as the head would read it.
        JsonNode memory = null;
        for (JsonNode w : JSON.readTree(status.out()).path("workers")) {
            if (w.path("address").asText().equals("127.0.0.1:" + port)) {
                memory = w.path("memory");
            }
        }
        assertThat(memory).as(status.out()).isNotNull();
        assertThat(memory.path("protocol").asText()).startsWith("6.");
        assertThat(memory.path("devices")).isNotEmpty();
        assertThat(memory.path("totalBytes").asLong()).isGreaterThan(memory.path("freeBytes").asLong() / 2).isPositive();
        Cli.Result table = cli.run("cluster", "status");
        assertThat(table.out()).containsPattern("127\\.0\\.0\\.1:" + port + ".*MiB free of \\d+ MiB \\(\\d+ device");
        assertThat(rpcCheck().path("status").asText()).isEqualTo("ok");

        // Beyond loopback: doctor names the worker; an address this host does not have is refused as such.
        Cli.Result open = cli.run("toolbox", "create", "open-worker", "--flavor", "cpu", "--rpc-worker", "--rpc-host",
                "0.0.0.0", "--rpc-port", Integer.toString(Cli.freePort()));
        assertThat(open.code()).as(open.toString()).isZero();
        assertThat(open.err()).contains("no authentication");
        JsonNode check = rpcCheck();
        assertThat(check.path("status").asText()).isEqualTo("warn");
        assertThat(check.path("detail").asText()).contains("open-worker on 0.0.0.0:");
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Cli.Result busy = cli.run("toolbox", "create", "far-worker", "--flavor", "cpu", "--rpc-worker", "--rpc-port",
                    Integer.toString(taken.getLocalPort()));
            assertThat(busy.code()).as(busy.toString()).isEqualTo(ExitCode.CONFLICT.code());
            assertThat(busy.err()).contains("port " + taken.getLocalPort() + " on 127.0.0.1 is already in use by java (pid");
        }
        Cli.Result foreign = cli.run("toolbox", "create", "far-worker", "--flavor", "cpu", "--rpc-worker", "--rpc-host",
                "10.232.9.10");
        assertThat(foreign.code()).as(foreign.toString()).isEqualTo(ExitCode.USAGE.code());
        assertThat(foreign.err()).contains("10.232.9.10 is not an address of this host");
    }

    private JsonNode rpcCheck() throws Exception {
        Cli.Result doctor = cli.run("doctor", "--json");
        for (JsonNode c : JSON.readTree(doctor.out()).path("checks")) {
            if (c.path("id").asText().equals("rpc-workers")) {
                return c;
            }
        }
        throw new AssertionError("doctor has no rpc-workers check: " + doctor);
    }
}
