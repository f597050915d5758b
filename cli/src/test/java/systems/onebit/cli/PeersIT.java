package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.testing.LlamaServer;
import systems.onebit.orchestrator.testing.TinyGguf;

/**
 * Two 1bit proxies as peers, each in its own network namespace ({@code ip netns}, a veth pair, addresses inside the
 * namespaces only) with its own REAL llama-server and model: each serves the other's model as {@code PEER/model}
 * and under its bare id, with keys required and used; a peer killed leaves its models answering 503 with
 * Retry-After while the local one keeps serving. Needs root (CI runs as root).
 */
class PeersIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final String tag = UUID.randomUUID().toString().substring(0, 6);
    private final NetNamespaces net = new NetNamespaces();
    private String nsA;
    private String nsB;
    private Process proxyB;

    @BeforeEach
    void network() throws Exception {
        nsA = net.add("onebit-pa-" + tag);
        nsB = net.add("onebit-pb-" + tag);
        net.link(nsA, "10.231.7.1", nsB, "10.231.7.2", tag);
    }

    @AfterEach
    void teardown() throws Exception {
        net.close();
    }

    /** One host: its llama-server on ADDR:8080 serving MODEL, its proxy on ADDR:13306 with PEER as a peer. */
    private Process host(String ns, String address, String model, long seed, String peerName, String peerAddress,
                         String key, String peerKey) throws Exception {
        Path home = Files.createDirectories(dir.resolve(ns));
        Path gguf = new TinyGguf().seed(seed).context(256).name(model).write(home.resolve(model + ".gguf"));
        net.start(ns, List.of(LlamaServer.binary().toString(), "--host", address, "--port", "8080", "-m", gguf.toString(),
                "--alias", model, "-t", "1", "-np", "2", "--no-warmup"), Map.of(), home.resolve("llama.log"));
        Files.createDirectories(home.resolve("config/1bit"));
        Files.writeString(home.resolve("config/1bit/registry.yaml"), """
                proxy: {host: %s, port: 13306}
                defaultBackend: ""
                backends:
                  - {name: local, kind: openai, url: "http://%s:8080", priority: 100, enabled: true}
                  - {name: %s, kind: peer, url: "http://%s:13306", priority: 200, enabled: true, apiKeyEnv: PEER_KEY, insecure: true}
                """.formatted(address, address, peerName, peerAddress));
        String jvm = ProcessHandle.current().info().command().orElse("java");
        return net.start(ns, List.of(jvm, "-cp", System.getProperty("java.class.path"), "systems.onebit.cli.Main", "proxy",
                        "--down-wait", "1s"),
                Map.of("HOME", home.toString(), "XDG_CONFIG_HOME", home.resolve("config").toString(),
                        "XDG_STATE_HOME", home.resolve("state").toString(), "ONEBIT_API_KEY", key, "PEER_KEY", peerKey),
                home.resolve("proxy.log"));
    }

    /** curl inside a namespace: [status, body]. */
    private String[] curl(String ns, String key, String url, String body) throws Exception {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns, "curl", "-sS", "--max-time", "30",
                "-o", "-", "-w", "\n%{http_code}", "-D", dir.resolve("headers-" + ns).toString()));
        if (!key.isEmpty()) {
            command.addAll(List.of("-H", "Authorization: Bearer " + key));
        }
        if (body != null) {
            command.addAll(List.of("-H", "Content-Type: application/json", "-d", body));
        }
        command.add(url);
        String out = NetNamespaces.run(command.toArray(String[]::new)).outputUTF8();
        int cut = out.lastIndexOf('\n');
        return new String[] {out.substring(cut + 1).strip(), out.substring(0, Math.max(0, cut))};
    }

    private static String chat(String model) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }

    private void awaitModels(String ns, String address, String key, String... models) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        String body = "";
        while (System.nanoTime() < deadline) {
            String[] r = curl(ns, key, "http://" + address + ":13306/v1/models", null);
            body = r[1];
            if (r[0].equals("200") && Arrays.stream(models).allMatch(m -> r[1].contains("\"" + m + "\""))) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(address + " never listed " + String.join(", ", models) + ": " + body + "\n"
                + Files.readString(dir.resolve(ns).resolve("proxy.log")));
    }

    @Test
    void eachServesTheOthersModelWithKeysAndAKilledPeerIsA503WhileLocalServes() throws Exception {
        String keyA = "sk-a-" + tag;
        String keyB = "sk-b-" + tag;
        host(nsA, "10.231.7.1", "model-a", 11, "pb", "10.231.7.2", keyA, keyB);
        proxyB = host(nsB, "10.231.7.2", "model-b", 12, "pa", "10.231.7.1", keyB, keyA);
        awaitModels(nsA, "10.231.7.1", keyA, "model-a", "pb/model-b", "model-b");
        awaitModels(nsB, "10.231.7.2", keyB, "model-b", "pa/model-a", "model-a");

        assertThat(curl(nsA, "", "http://10.231.7.1:13306/v1/models", null)[0]).as("the key is required").isEqualTo("401");
        for (String model : List.of("pb/model-b", "model-b", "model-a")) {
            String[] r = curl(nsA, keyA, "http://10.231.7.1:13306/v1/chat/completions", chat(model));
            assertThat(r[0]).as(model + ": " + r[1]).isEqualTo("200");
            JsonNode doc = JSON.readTree(r[1]);
            assertThat(doc.path("usage").path("completion_tokens").asInt()).isEqualTo(3);
            assertThat(doc.path("model").asText()).as("answered by the host that has it")
                    .isEqualTo(model.endsWith("model-b") ? "model-b" : "model-a");
        }
        String[] fromB = curl(nsB, keyB, "http://10.231.7.2:13306/v1/chat/completions", chat("pa/model-a"));
        assertThat(fromB[0]).as(fromB[1]).isEqualTo("200");

        // B's proxy killed: A's route to it fails over to nothing (503 with Retry-After); A's own model serves on.
        proxyB.destroyForcibly().waitFor();
        String[] gone = curl(nsA, keyA, "http://10.231.7.1:13306/v1/chat/completions", chat("pb/model-b"));
        assertThat(gone[0]).as(gone[1]).isEqualTo("503");
        assertThat(Files.readString(dir.resolve("headers-" + nsA)).toLowerCase()).contains("retry-after:");
        assertThat(curl(nsA, keyA, "http://10.231.7.1:13306/v1/chat/completions", chat("model-a"))[0]).isEqualTo("200");
    }
}
