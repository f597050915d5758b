package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static systems.onebit.orchestrator.testing.PodmanTestService.podman;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.testing.ModelFiles;
import systems.onebit.orchestrator.testing.PodmanTestService;

/**
 * `1bit export` on real rootful Podman: the exported Pod, played by `podman kube play`, and the exported Quadlet
 * unit, turned into its `podman run` arguments, both make the container `toolbox create` made, compared field by
 * field in `podman inspect`. Debian's Podman 4.3.1 has no Quadlet generator: {@link #quadletToPodmanRun} applies
 * podman-systemd.unit(5)'s table of keys and their `podman run` options, as the generator does (a stand-in for it).
 */
class ExportIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** podman-systemd.unit(5): the [Container] keys and the `podman run` option each one becomes. */
    private static final Map<String, String> CONTAINER_KEYS = Map.ofEntries(
            Map.entry("ContainerName", "--name"), Map.entry("Image", ""), Map.entry("Entrypoint", "--entrypoint"),
            Map.entry("Environment", "--env"), Map.entry("Label", "--label"), Map.entry("AddDevice", "--device"),
            Map.entry("GroupAdd", "--group-add"), Map.entry("SecurityLabelDisable", "--security-opt=label=disable"),
            Map.entry("SeccompProfile", "--security-opt=seccomp="), Map.entry("NoNewPrivileges", "--security-opt=no-new-privileges"),
            Map.entry("Ulimit", "--ulimit"), Map.entry("Volume", "--volume"), Map.entry("Network", "--network"),
            Map.entry("RunInit", "--init"), Map.entry("PodmanArgs", ""));
    private static final Set<String> UNIT_KEYS = Set.of("Description", "PartOf", "Before", "After", "Wants");
    private static final Set<String> SERVICE_KEYS = Set.of("Restart", "TimeoutStartSec");
    private static final Set<String> INSTALL_KEYS = Set.of("WantedBy");

    @TempDir
    Path home;

    private Cli cli;
    private final String id = UUID.randomUUID().toString().substring(0, 8);
    private final String name = "exp-" + id;
    private final String worker = "expw-" + id;
    private final List<String> cleanup = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        Path host = Cli.hostWithDevices(home.resolve("host"), true);
        // As on Debian/Ubuntu: device nodes owned by host groups the image does not know.
        Files.setAttribute(host.resolve("dev/dri/renderD128"), "unix:gid", 4242);
        Files.setAttribute(host.resolve("dev/kfd"), "unix:gid", 4343);
        cli = new Cli(home).env("ONEBIT_PODMAN_SOCKET", PodmanTestService.socket().toString())
                .env("ONEBIT_HOST_ROOT", host.toString());
        Path model = ModelFiles.emptyGguf(home.resolve("models"), "exported-q4.gguf");
        Cli.Result created = cli.run("toolbox", "create", name, "--flavor", "rocm-7.14", "--model", model.toString(),
                "--port", Integer.toString(Cli.freePort()));
        assertThat(created.code()).as(created.toString()).isZero();
        cleanup.add(name);
    }

    @AfterEach
    void tearDown() {
        PodmanTestService.removeQuietly(cleanup.toArray(String[]::new));
    }

    @Test
    void kubePlayOfTheExportedPodMakesTheContainerTheToolboxIs() throws Exception {
        Path file = home.resolve("stack.yaml");
        Cli.Result export = cli.run("export", "kube", name, "-o", file.toString());
        assertThat(export.code()).as(export.toString()).isZero();
        assertThat(export.err()).contains("video, render left out", "numeric groups only");

        JsonNode pod = YAML.readTree(Files.readString(file));
        assertThat(pod.path("apiVersion").asText()).isEqualTo("v1");
        assertThat(pod.path("kind").asText()).isEqualTo("Pod");
        assertThat(pod.at("/spec/hostNetwork").asBoolean()).isTrue();
        JsonNode container = pod.at("/spec/containers/0");
        assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/health");
        JsonNode original = inspect(name);
        assertThat(container.at("/readinessProbe/httpGet/port").asInt())
                .isEqualTo(Integer.parseInt(original.at("/Config/Labels/systems.onebit.port").asText()));
        // What the Pod schema cannot say travels in Podman's annotations: exactly the toolbox's limits and its init.
        JsonNode annotations = pod.at("/metadata/annotations");
        List<String> limits = new ArrayList<>();
        for (JsonNode u : original.at("/HostConfig/Ulimits")) {
            limits.add(u.get("Name").asText().replace("RLIMIT_", "").toLowerCase() + "=" + u.get("Soft").asLong() + ":" + u.get("Hard").asLong());
        }
        assertThat(annotations.path("io.podman.annotations.ulimit").asText().split(",")).containsExactlyInAnyOrderElementsOf(limits);
        assertThat(annotations.path("io.podman.annotations.init/" + name).asText()).isEqualTo("true");
        assertThat(original.at("/HostConfig/Init").asBoolean()).isTrue();

        cleanup.add(name + "-pod-" + name);
        // Not started: the flavors' test images are stand-ins without llama-server; what is compared is the definition.
        podman("kube", "play", "--start=false", file.toString());
        try {
            JsonNode played = inspect(name + "-pod-" + name);
            assertThat(played.at("/Config/Image").asText()).isEqualTo(original.at("/Config/Image").asText());
            assertThat(command(played)).isEqualTo(command(original)).contains("--alias", "exported-q4");
            assertThat(devices(played)).isEqualTo(devices(original)).hasSize(3);
            assertThat(binds(played)).isEqualTo(binds(original)).isNotEmpty();
            assertThat(played.at("/HostConfig/NetworkMode").asText()).isEqualTo("host");
            assertThat(original.at("/HostConfig/NetworkMode").asText()).isEqualTo("host");
            assertThat(env(played)).containsAllEntriesOf(ownEnv(original));
            List<String> numeric = new ArrayList<>();
            original.at("/HostConfig/GroupAdd").forEach(g -> {
                if (g.asText().matches("\\d+")) {
                    numeric.add(g.asText());
                }
            });
            assertThat(numeric).contains("4242", "4343");
            assertThat(texts(played.at("/HostConfig/GroupAdd"))).containsExactlyElementsOf(numeric);
        } finally {
            podman("kube", "down", file.toString());
        }
    }

    @Test
    void quadletUnitsUseOnlyDocumentedKeysAndRunTheSameContainer() throws Exception {
        Cli.Result w = cli.run("toolbox", "create", worker, "--flavor", "rocm-7.14", "--rpc-worker",
                "--rpc-port", Integer.toString(Cli.freePort()));
        assertThat(w.code()).as(w.toString()).isZero();
        cleanup.add(worker);
        Path dir = home.resolve("quadlet");
        Cli.Result export = cli.run("export", "quadlet", name, worker, "--dir", dir.toString());
        assertThat(export.code()).as(export.toString()).isZero();
        assertThat(export.out()).contains(dir.resolve(name + ".container").toString(), dir.resolve("1bit.target").toString());
        assertThat(export.err()).contains("`1bit toolbox rm " + name + "`");
        assertThat(Files.readString(dir.resolve("1bit.target")))
                .contains("Wants=1bit-proxy.service", "Wants=" + name + ".service", "Wants=" + worker + ".service");

        for (String toolbox : List.of(name, worker)) {
            Map<String, List<Map.Entry<String, String>>> unit = parseUnit(Files.readString(dir.resolve(toolbox + ".container")));
            assertThat(unit.keySet()).containsExactly("Unit", "Container", "Service", "Install");
            unit.get("Container").forEach(e -> assertThat(CONTAINER_KEYS).as("documented [Container] key").containsKey(e.getKey()));
            unit.get("Unit").forEach(e -> assertThat(UNIT_KEYS).contains(e.getKey()));
            unit.get("Service").forEach(e -> assertThat(SERVICE_KEYS).contains(e.getKey()));
            unit.get("Install").forEach(e -> assertThat(INSTALL_KEYS).contains(e.getKey()));
            assertThat(unit.get("Container")).contains(Map.entry("SecurityLabelDisable", "true"),
                    Map.entry("Network", "host"), Map.entry("RunInit", "true"));

            // What the generator would run, under another name (the toolbox's container keeps its own).
            String copy = toolbox + "-q";
            cleanup.add(copy);
            List<String> args = quadletToPodmanRun(unit.get("Container"), copy);
            podman(args.toArray(String[]::new));
            JsonNode original = inspect(toolbox);
            JsonNode fromUnit = inspect(copy);
            assertThat(command(fromUnit)).isEqualTo(command(original));
            assertThat(fromUnit.at("/Config/Image").asText()).isEqualTo(original.at("/Config/Image").asText());
            assertThat(devices(fromUnit)).isEqualTo(devices(original)).hasSize(3);
            assertThat(texts(fromUnit.at("/HostConfig/GroupAdd"))).isEqualTo(texts(original.at("/HostConfig/GroupAdd")))
                    .contains("4242", "4343");
            assertThat(texts(fromUnit.at("/HostConfig/SecurityOpt"))).isEqualTo(texts(original.at("/HostConfig/SecurityOpt")))
                    .contains("label=disable");
            assertThat(fromUnit.at("/HostConfig/Ulimits")).isEqualTo(original.at("/HostConfig/Ulimits"));
            assertThat(binds(fromUnit)).isEqualTo(binds(original));
            assertThat(fromUnit.at("/HostConfig/Init").asBoolean()).isTrue();
            assertThat(fromUnit.at("/HostConfig/NetworkMode").asText()).isEqualTo("host");
            assertThat(env(fromUnit)).isEqualTo(env(original));
            assertThat(fromUnit.at("/Config/Labels")).isEqualTo(original.at("/Config/Labels"));
        }
    }

    @Test
    void badInputIsRefusedAndNothingForeignIsReplaced() throws Exception {
        Cli.Result unknown = cli.run("export", "kube", "no-such-" + id);
        assertThat(unknown.code()).isEqualTo(3);
        assertThat(unknown.err()).contains("no toolbox named 'no-such-" + id + "'", "1bit toolbox list");

        Path dir = home.resolve("units");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(name + ".container"), "[Container]\nImage=mine\n");
        Cli.Result foreign = cli.run("export", "quadlet", name, "--dir", dir.toString());
        assertThat(foreign.code()).isEqualTo(4);
        assertThat(foreign.err()).contains(name + ".container exists and was not written by 1bit");
        assertThat(Files.readString(dir.resolve(name + ".container"))).isEqualTo("[Container]\nImage=mine\n");

        podman("run", "-d", "--name", "plain-" + id, systems.onebit.orchestrator.testing.TestImages.BASE, "sleep", "60");
        cleanup.add("plain-" + id);
        Cli.Result notOurs = cli.run("export", "quadlet", "plain-" + id, "--dir", dir.toString());
        assertThat(notOurs.code()).isEqualTo(3);
    }

    /** The unit's sections and their keys in order (systemd.syntax(7): comments, sections, Key=Value). */
    private static Map<String, List<Map.Entry<String, String>>> parseUnit(String text) {
        Map<String, List<Map.Entry<String, String>>> sections = new LinkedHashMap<>();
        String section = "";
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("[")) {
                section = line.substring(1, line.indexOf(']'));
                sections.put(section, new ArrayList<>());
                continue;
            }
            int eq = line.indexOf('=');
            assertThat(eq).as("a Key=Value line: " + line).isPositive();
            sections.get(section).add(Map.entry(line.substring(0, eq), line.substring(eq + 1)));
        }
        return sections;
    }

    /** The stand-in for Quadlet's generator: each key as its documented `podman run` option. */
    private static List<String> quadletToPodmanRun(List<Map.Entry<String, String>> keys, String containerName) {
        List<String> args = new ArrayList<>(List.of("create"));
        String image = "";
        for (Map.Entry<String, String> e : keys) {
            String value = e.getValue().replace("%%", "%");
            switch (e.getKey()) {
                case "ContainerName" -> args.addAll(List.of("--name", containerName));
                case "Image" -> image = value;
                case "SecurityLabelDisable", "NoNewPrivileges", "RunInit" -> {
                    if (value.equals("true")) {
                        args.add(CONTAINER_KEYS.get(e.getKey()));
                    }
                }
                case "SeccompProfile" -> args.add(CONTAINER_KEYS.get(e.getKey()) + value);
                case "Environment", "Label" -> words(value).forEach(w -> args.addAll(List.of(CONTAINER_KEYS.get(e.getKey()), w)));
                case "PodmanArgs" -> args.addAll(words(value));
                default -> args.addAll(List.of(CONTAINER_KEYS.get(e.getKey()), value));
            }
        }
        args.add(image);
        return args;
    }

    /** systemd's word splitting: double-quoted words with backslash escapes. */
    private static List<String> words(String value) {
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length()) {
                word.append(value.charAt(++i));
                any = true;
            } else if (c == '"') {
                quoted = !quoted;
                any = true;
            } else if (c == ' ' && !quoted) {
                if (any) {
                    out.add(word.toString());
                }
                word.setLength(0);
                any = false;
            } else {
                word.append(c);
                any = true;
            }
        }
        if (any) {
            out.add(word.toString());
        }
        return out;
    }

    private static JsonNode inspect(String container) throws Exception {
        return JSON.readTree(podman("inspect", container)).get(0);
    }

    /** The process the container runs, without the init in front of it (compared on its own). */
    private static List<String> command(JsonNode c) {
        List<String> out = new ArrayList<>();
        out.add(c.path("Path").asText());
        out.addAll(texts(c.path("Args")));
        if (out.getFirst().equals("/run/podman-init") && out.get(1).equals("--")) {
            return out.subList(2, out.size());
        }
        return out;
    }

    private static Set<String> devices(JsonNode c) {
        Set<String> out = new HashSet<>();
        c.at("/HostConfig/Devices").forEach(d -> out.add(d.path("PathOnHost").asText() + ">" + d.path("PathInContainer").asText()));
        return out;
    }

    private static Set<String> binds(JsonNode c) {
        Set<String> out = new HashSet<>();
        c.path("Mounts").forEach(m -> out.add(m.path("Source").asText() + ">" + m.path("Destination").asText() + ":" + m.path("RW").asBoolean()));
        return out;
    }

    private static Map<String, String> env(JsonNode c) {
        Map<String, String> out = new LinkedHashMap<>();
        c.at("/Config/Env").forEach(e -> {
            String s = e.asText();
            int eq = s.indexOf('=');
            out.put(s.substring(0, eq), s.substring(eq + 1));
        });
        out.remove("HOSTNAME");
        return out;
    }

    /** The variables the flavor's manifest sets (as labels cannot say which came from the image, all but PATH/HOME). */
    private static Map<String, String> ownEnv(JsonNode c) {
        Map<String, String> out = env(c);
        out.keySet().removeIf(k -> k.equals("PATH") || k.equals("HOME") || k.equals("TERM") || k.equals("container"));
        return out;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
