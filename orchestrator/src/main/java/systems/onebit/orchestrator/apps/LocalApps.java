package systems.onebit.orchestrator.apps;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import systems.onebit.orchestrator.host.HostPaths;

/**
 * Finds Open WebUI and AMD GAIA on this host: on PATH, in the usual virtual environments and AppImage folders, or as
 * a systemd unit; and a running process of each (from /proc). Read-only, no process is started.
 */
public final class LocalApps {

    public static final int OPEN_WEBUI_PORT = 3000;

    private final Map<String, String> env;
    private final HostPaths host;

    public LocalApps(Map<String, String> env, HostPaths host) {
        this.env = Map.copyOf(env);
        this.host = host;
    }

    /** Open WebUI, which should be given {@code OPENAI_API_BASE_URL=<proxy>/v1}. */
    public LocalApp openWebUi(URI proxy) {
        Path home = home();
        List<Candidate> candidates = new ArrayList<>();
        onPath("open-webui").ifPresent(p -> candidates.add(new Candidate(p, "path")));
        for (Path venv : List.of(home.resolve(".local/share/open-webui/venv"), home.resolve("open-webui/.venv"),
                home.resolve(".venv/open-webui"), Path.of("/opt/open-webui/venv"))) {
            candidates.add(new Candidate(venv.resolve("bin/open-webui"), "venv"));
        }
        for (Path unit : List.of(home.resolve(".config/systemd/user/open-webui.service"),
                Path.of("/etc/systemd/system/open-webui.service"))) {
            candidates.add(new Candidate(unit, "systemd unit"));
        }
        Candidate found = first(candidates);
        // Only an installed app is looked for among the processes: scanning /proc costs time status does not have.
        return new LocalApp("open-webui", found.where(), found.how(),
                found.where().isEmpty() ? 0 : process(c -> c.contains("open-webui")),
                env.getOrDefault("ONEBIT_OPEN_WEBUI_URL", "http://127.0.0.1:" + OPEN_WEBUI_PORT), proxy.resolve("/v1"));
    }

    /** AMD GAIA (AppImage or the Python CLI in a venv), which should be given {@code <proxy>/api/v1}. */
    public LocalApp gaia(URI proxy) {
        Path home = home();
        List<Candidate> candidates = new ArrayList<>();
        for (Path dir : List.of(home.resolve("Applications"), home.resolve(".local/bin"), home.resolve("Downloads"),
                Path.of("/opt"))) {
            appImage(dir).ifPresent(p -> candidates.add(new Candidate(p, "appimage")));
        }
        onPath("gaia").ifPresent(p -> candidates.add(new Candidate(p, "path")));
        for (Path venv : List.of(home.resolve(".local/share/gaia/venv"), home.resolve("gaia/.venv"),
                home.resolve(".venv/gaia"), home.resolve("miniforge3/envs/gaia"))) {
            candidates.add(new Candidate(venv.resolve("bin/gaia"), "venv"));
        }
        Candidate found = first(candidates);
        return new LocalApp("gaia", found.where(), found.how(), found.where().isEmpty() ? 0 : process(c -> {
            String lower = c.toLowerCase(Locale.ROOT);
            return lower.contains("/gaia ") || lower.endsWith("/gaia") || lower.startsWith("gaia ") || lower.contains("gaia.appimage")
                    || lower.contains("gaia-");
        }), "", proxy.resolve("/api/v1"));
    }

    private record Candidate(Path path, String how) {
        String where() {
            return path == null ? "" : path.toString();
        }
    }

    private Candidate first(List<Candidate> candidates) {
        return candidates.stream().filter(c -> Files.exists(host.resolve(c.path().toString())))
                .findFirst().orElse(new Candidate(null, ""));
    }

    private Path home() {
        return Path.of(env.getOrDefault("HOME", System.getProperty("user.home")));
    }

    private Optional<Path> onPath(String program) {
        for (String dir : env.getOrDefault("PATH", "").split(":")) {
            if (!dir.isBlank() && Files.isExecutable(host.resolve(dir + "/" + program))) {
                return Optional.of(Path.of(dir, program));
            }
        }
        return Optional.empty();
    }

    private Optional<Path> appImage(Path dir) {
        Path onHost = host.resolve(dir.toString());
        if (!Files.isDirectory(onHost)) {
            return Optional.empty();
        }
        try (Stream<Path> list = Files.list(onHost)) {
            return list.map(Path::getFileName).map(Path::toString)
                    .filter(n -> n.toLowerCase(Locale.ROOT).startsWith("gaia") && n.endsWith(".AppImage"))
                    .sorted().findFirst().map(dir::resolve);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The first process whose command line (NUL-separated arguments joined by spaces) matches. */
    private long process(java.util.function.Predicate<String> matches) {
        Path proc = host.resolve("/proc");
        try (Stream<Path> list = Files.list(proc)) {
            for (Path dir : list.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try {
                    byte[] raw = Files.readAllBytes(dir.resolve("cmdline"));
                    String line = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
                    if (!line.isEmpty() && matches.test(line) && !line.contains("systems.onebit")) {
                        return Long.parseLong(dir.getFileName().toString());
                    }
                } catch (IOException | NumberFormatException ignored) {
                    // the process ended while we looked
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return 0;
    }
}
