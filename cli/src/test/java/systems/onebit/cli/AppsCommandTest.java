package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `webui status` and `gaia status` against a fake host tree (ONEBIT_HOST_ROOT): installs are files where the real
 * installers put them, running processes are /proc/PID/cmdline files, Open WebUI's HTTP side a real JDK server.
 */
class AppsCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;

    private Path host;
    private Cli cli;

    private void setUp() throws Exception {
        host = Files.createDirectories(home.resolve("host"));
        Files.createDirectories(host.resolve("proc"));
        cli = new Cli(home).env("ONEBIT_HOST_ROOT", host.toString()).env("PATH", "/nonexistent");
    }

    private void file(String path, String content) throws Exception {
        Path file = host.resolve(path.substring(1));
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void notInstalledIsExitThreeWithTheUrlToUseAnyway() throws Exception {
        setUp();
        Cli.Result webui = cli.run("webui", "status");
        assertThat(webui.code()).as(webui.toString()).isEqualTo(ExitCode.NOT_FOUND.code());
        assertThat(webui.out()).contains("configure it with: OPENAI_API_BASE_URL=http://127.0.0.1:13306/v1");
        assertThat(webui.err()).contains("open-webui is not installed");
        Cli.Result gaia = cli.run("gaia", "status", "--json");
        assertThat(gaia.code()).isEqualTo(ExitCode.NOT_FOUND.code());
        JsonNode doc = JSON.readTree(gaia.out());
        assertThat(doc.get("installed").asBoolean()).isFalse();
        assertThat(doc.get("baseUrl").asText()).isEqualTo("http://127.0.0.1:13306/api/v1");
        assertThat(doc.get("setting").asText()).isEqualTo("LEMONADE_BASE_URL=http://127.0.0.1:13306/api/v1");
    }

    @Test
    void installedAndRunningAppsAreFoundWithTheirProcess() throws Exception {
        setUp();
        String home = this.home.toString();
        file(home + "/.local/share/open-webui/venv/bin/open-webui", "#!/bin/sh\n");
        file("/proc/4242/cmdline", "/usr/bin/python3\0" + home + "/.local/share/open-webui/venv/bin/open-webui\0serve\0");
        file(home + "/Applications/gaia-0.15.1.AppImage", "");
        file("/proc/777/cmdline", home + "/Applications/gaia-0.15.1.AppImage\0");
        HttpServer webui = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        webui.createContext("/health", exchange -> {
            byte[] body = "{\"status\":true}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        webui.start();
        try {
            cli.env("ONEBIT_OPEN_WEBUI_URL", "http://127.0.0.1:" + webui.getAddress().getPort());
            Cli.Result result = cli.run("webui", "status", "--json");
            assertThat(result.code()).as(result.toString()).isZero();
            JsonNode doc = JSON.readTree(result.out());
            assertThat(doc.get("installedAt").asText()).endsWith(".local/share/open-webui/venv/bin/open-webui");
            assertThat(doc.get("how").asText()).isEqualTo("venv");
            assertThat(doc.get("pid").asLong()).isEqualTo(4242);
            assertThat(doc.get("health").asText()).isEqualTo("healthy");
            assertThat(doc.get("baseUrl").asText()).isEqualTo("http://127.0.0.1:13306/v1");

            Cli.Result gaia = cli.run("gaia", "status", "--json");
            assertThat(gaia.code()).as(gaia.toString()).isZero();
            JsonNode g = JSON.readTree(gaia.out());
            assertThat(g.get("how").asText()).isEqualTo("appimage");
            assertThat(g.get("pid").asLong()).isEqualTo(777);

            // status shows both, and an installed Open WebUI counts.
            Cli.Result status = cli.run("status", "--json");
            JsonNode rows = JSON.readTree(status.out()).get("components");
            JsonNode row = java.util.stream.StreamSupport.stream(rows.spliterator(), false)
                    .filter(c -> c.get("name").asText().equals("open-webui")).findFirst().orElseThrow();
            assertThat(row.get("state").asText()).isEqualTo("running (pid 4242)");
            assertThat(row.get("health").asText()).isEqualTo("healthy");
            assertThat(row.get("counts").asBoolean()).isTrue();
        } finally {
            webui.stop(0);
        }
        // Installed but stopped: exit 11.
        Files.delete(host.resolve("proc/4242/cmdline"));
        Cli.Result stopped = cli.run("webui", "status");
        assertThat(stopped.code()).as(stopped.toString()).isEqualTo(ExitCode.DOWN.code());
    }
}
