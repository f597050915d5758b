package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    @Test
    void reportsEachComponentAndExitsByOverallHealth() throws Exception {
        Cli cli = new Cli(home).env("ONEBIT_HOST_ROOT", Files.createDirectories(home.resolve("host")).toString())
                .env("PATH", home.toString());
        int down = Cli.freePort();
        HttpServer up = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        up.createContext("/v1/models", exchange -> {
            byte[] body = "{\"data\":[]}".getBytes();
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        up.start();
        try {
            assertThat(cli.run("backends", "rm", "llama").code()).isZero();
            assertThat(cli.run("backends", "rm", "flm").code()).isZero();
            assertThat(cli.run("backends", "add", "alive", "--kind", "openai", "--port",
                    Integer.toString(up.getAddress().getPort())).code()).isZero();
            assertThat(cli.run("backends", "add", "dead", "--kind", "openai", "--port", Integer.toString(down)).code()).isZero();
            Cli.Result result = cli.run("status", "--json");
            JsonNode doc = JSON.readTree(result.out());
            // The proxy is not running and "dead" does not answer: degraded, not down.
            assertThat(result.code()).as(result.toString()).isEqualTo(ExitCode.DEGRADED.code());
            assertThat(doc.get("state").asText()).isEqualTo("degraded");
            assertThat(doc.get("components")).extracting(c -> c.get("name").asText() + "=" + c.get("health").asText())
                    .containsExactly("proxy=down", "alive=healthy", "dead=down", "fastflowlm=down", "open-webui=down",
                            "gaia=base URL down");
            // Apps that are not installed are shown but do not count; FastFlowLM outside the registry neither.
            assertThat(doc.get("components")).filteredOn(c -> c.get("counts").asBoolean())
                    .extracting(c -> c.get("name").asText()).containsExactly("proxy", "alive", "dead");
            assertThat(doc.get("components").get(4).get("state").asText()).isEqualTo("not installed");
            assertThat(doc.get("components").get(1).get("models").asInt()).isZero();
            assertThat(cli.run("backends", "rm", "alive").code()).isZero();
            Cli.Result allDown = cli.run("status");
            assertThat(allDown.code()).isEqualTo(ExitCode.DOWN.code());
            assertThat(allDown.out()).contains("overall: down");
        } finally {
            up.stop(0);
        }
    }

    @Test
    void aPeerThatAnswersHtmlIsDownAndSaysWhy() throws Exception {
        Cli cli = new Cli(home).env("ONEBIT_HOST_ROOT", Files.createDirectories(home.resolve("host")).toString())
                .env("PATH", home.toString());
        // As a web server's page, or an old Lemonade, answers every path: 200 with HTML.
        HttpServer page = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        page.createContext("/", exchange -> {
            byte[] body = "<!doctype html><html><body>welcome</body></html>".getBytes();
            exchange.getResponseHeaders().add("Content-Type", "text/html");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        page.start();
        try {
            assertThat(cli.run("backends", "add", "web", "--kind", "peer", "--url",
                    "http://127.0.0.1:" + page.getAddress().getPort()).code()).isZero();
            JsonNode doc = JSON.readTree(cli.run("status", "--json").out());
            JsonNode web = null;
            for (JsonNode c : doc.get("components")) {
                if (c.get("name").asText().equals("web")) {
                    web = c;
                }
            }
            assertThat(web).as(doc.toString()).isNotNull();
            assertThat(web.get("kind").asText()).isEqualTo("peer");
            assertThat(web.get("health").asText()).isEqualTo("its model list is not an OpenAI-compatible JSON answer");
        } finally {
            page.stop(0);
        }
    }

    @Test
    void aBackendKeyIsSentFromItsVariableAndAMissingOneIsNamedWithoutAProbe() throws Exception {
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        HttpServer lemonade = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        lemonade.createContext("/api/v1/models", exchange -> {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            seen.add(auth == null ? "-" : auth);
            byte[] body = "{\"data\":[{\"id\":\"Qwen3-0.6B-GGUF\"}]}".getBytes();
            exchange.sendResponseHeaders("Bearer k-123".equals(auth) ? 200 : 401, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        lemonade.createContext("/api/v1/health", exchange -> {
            byte[] body = "{\"status\":\"ok\",\"model_loaded\":null,\"all_models_loaded\":[]}".getBytes();
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        lemonade.start();
        try {
            Cli cli = new Cli(home).env("ONEBIT_HOST_ROOT", Files.createDirectories(home.resolve("host")).toString())
                    .env("PATH", home.toString());
            assertThat(cli.run("backends", "add", "lemon", "--kind", "lemonade", "--api-key-env", "LEMON_KEY", "--port",
                    Integer.toString(lemonade.getAddress().getPort())).code()).isZero();
            assertThat(Files.readString(cli.configDir().resolve("registry.yaml"))).contains("apiKeyEnv: LEMON_KEY")
                    .doesNotContain("k-123");
            JsonNode missing = JSON.readTree(cli.run("status", "--json").out());
            assertThat(missing.get("components")).filteredOn(c -> c.get("name").asText().equals("lemon"))
                    .extracting(c -> c.get("health").asText()).containsExactly("API key: $LEMON_KEY is not set");
            assertThat(seen).as("nothing sent without the key").isEmpty();
            JsonNode keyed = JSON.readTree(cli.env("LEMON_KEY", "k-123").run("status", "--json").out());
            assertThat(keyed.get("components")).filteredOn(c -> c.get("name").asText().equals("lemon"))
                    .extracting(c -> c.get("health").asText() + "/" + c.get("models").asInt()).containsExactly("healthy/1");
            assertThat(seen).containsExactly("Bearer k-123");
            assertThat(cli.run("backends", "add", "bad", "--kind", "openai", "--api-key-env", "sk-not a name").code())
                    .isEqualTo(ExitCode.USAGE.code());

            // The credentials file: the key from standard input, never argv; mode 600; the environment wins.
            seen.clear();
            assertThat(cli.run("backends", "rm", "llama").code()).as("no toolbox to start: Podman is not on this PATH").isZero();
            Cli.Result up = cli.without("LEMON_KEY").env("ONEBIT_SYSTEMD", "none").run("up", "--no-proxy");
            assertThat(up.code()).as(up.toString()).isEqualTo(ExitCode.PRECONDITION.code());
            assertThat(up.err()).contains("backend 'lemon' needs its API key in $LEMON_KEY", "1bit backends key lemon");
            assertThat(seen).isEmpty();
            Cli.Result stored = cli.runWithInput("k-456\n", "backends", "key", "lemon");
            assertThat(stored.code()).as(stored.toString()).isZero();
            assertThat(stored.out() + stored.err()).doesNotContain("k-456");
            Path credentials = cli.configDir().resolve("credentials");
            assertThat(Files.getPosixFilePermissions(credentials)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.readString(cli.configDir().resolve("registry.yaml"))).doesNotContain("k-456");
            cli.run("status", "--json");
            assertThat(seen).containsExactly("Bearer k-456");
            assertThat(cli.run("up", "--no-proxy").code()).as("the stored key is found").isZero();
            seen.clear();
            cli.env("LEMON_KEY", "k-123").run("status", "--json");
            assertThat(seen).as("the environment wins over the file").containsExactly("Bearer k-123");
            seen.clear();
            Files.setPosixFilePermissions(credentials, PosixFilePermissions.fromString("rw-r--r--"));
            Cli.Result open = cli.without("LEMON_KEY").run("status", "--json");
            assertThat(open.code()).as(open.toString()).isEqualTo(ExitCode.PRECONDITION.code());
            assertThat(open.err()).contains("the credentials file " + credentials + " can be read by others")
                    .contains("chmod 600 " + credentials);
            assertThat(seen).isEmpty();
            Files.setPosixFilePermissions(credentials, PosixFilePermissions.fromString("rw-------"));
            assertThat(cli.runWithInput("", "backends", "key", "lemon").code()).as("no key given").isEqualTo(ExitCode.USAGE.code());
            assertThat(cli.run("backends", "key", "lemon", "--remove").code()).isZero();
            assertThat(Files.readString(credentials)).doesNotContain("LEMON_KEY=");

            // A toolbox backend whose port Lemonade answers: named, its model not counted as the toolbox's.
            assertThat(cli.run("backends", "add", "llama2", "--kind", "toolbox", "--port",
                    Integer.toString(lemonade.getAddress().getPort())).code()).isZero();
            JsonNode misplaced = JSON.readTree(cli.run("status", "--json").out());
            assertThat(misplaced.get("components")).filteredOn(c -> c.get("name").asText().equals("llama2"))
                    .extracting(c -> c.get("health").asText()).singleElement().asString()
                    .startsWith("port " + lemonade.getAddress().getPort() + " is Lemonade, not the toolbox backend 'llama2'");
        } finally {
            lemonade.stop(0);
        }
    }

    /**
     * {@code status} and {@code status --json} are collected ahead of picocli's parsing; any other option takes the
     * ordinary path. Both must see the same registry and report its faults the same way.
     */
    @Test
    void collectedAheadOrNotGivesTheSameRowsAndTheSameErrors() throws Exception {
        Cli cli = new Cli(home).env("ONEBIT_HOST_ROOT", Files.createDirectories(home.resolve("host")).toString())
                .env("PATH", home.toString());
        assertThat(cli.run("backends", "add", "extra", "--kind", "openai", "--port", Integer.toString(Cli.freePort())).code()).isZero();
        Cli.Result ahead = cli.run("status", "--json");
        Cli.Result parsedFirst = cli.run("status", "--json", "--timeout", "700");
        assertThat(names(ahead)).containsExactly("proxy", "extra", "llama", "flm", "open-webui", "gaia");
        assertThat(names(parsedFirst)).isEqualTo(names(ahead));
        assertThat(parsedFirst.code()).isEqualTo(ahead.code()).isEqualTo(ExitCode.DOWN.code());

        Files.writeString(cli.configDir().resolve("registry.yaml"), "backends: [unclosed\n");
        for (String[] args : new String[][] {{"status"}, {"status", "--timeout", "500"}}) {
            Cli.Result broken = cli.run(args);
            assertThat(broken.code()).as(broken.toString()).isEqualTo(ExitCode.CONFIG_INVALID.code());
            assertThat(broken.err()).contains("is not valid YAML").contains("registry.yaml");
        }
    }

    private static java.util.List<String> names(Cli.Result result) throws Exception {
        java.util.List<String> names = new java.util.ArrayList<>();
        JSON.readTree(result.out()).get("components").forEach(c -> names.add(c.get("name").asText()));
        return names;
    }
}
