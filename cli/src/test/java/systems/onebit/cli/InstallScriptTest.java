package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** install.sh in real bash: both modes, dry run, idempotence, backups of edited files, uninstall, lint, units. */
class InstallScriptTest {

    private static final Path SCRIPT = Path.of("../install.sh").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    private record Run(int code, String output) {
    }

    private Run run(Path home, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString(), "--no-build"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("HOME", home.toString());
        pb.environment().remove("XDG_CONFIG_HOME");
        if (lanePrograms != null) {
            pb.environment().put("PATH", lanePrograms + ":" + pb.environment().get("PATH"));
        }
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** When set, a folder on PATH with `flm` and `open-webui` executables: their lanes' units get installed. */
    private Path lanePrograms;

    private void withLanePrograms() throws IOException {
        lanePrograms = Files.createDirectories(tmp.resolve("lane-bin"));
        for (String program : List.of("flm", "open-webui")) {
            Path file = Files.writeString(lanePrograms.resolve(program), "#!/bin/sh\nexit 0\n");
            file.toFile().setExecutable(true);
        }
    }

    /** A real (rootless, user-mode) install into a fresh home, so the launcher and unit paths exist. */
    private Path installedHome() throws Exception {
        Path home = tmp.resolve("home");
        Run install = run(home);
        assertThat(install.code()).as(install.output()).isZero();
        return home;
    }

    private static List<String> files(Path root) throws IOException {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void userModeInstallsEverythingAndIsIdempotent() throws Exception {
        Path home = tmp.resolve("home");
        Path root = tmp.resolve("root");
        Run first = run(home, "--root", root.toString());
        assertThat(first.code()).as(first.output()).isZero();
        Path base = root.resolve(home.toString().substring(1));
        assertThat(base.resolve(".local/bin/1bit")).isExecutable();
        assertThat(base.resolve(".local/lib/1bit/1bit.jar")).exists();
        assertThat(base.resolve(".config/systemd/user/1bit-proxy.service")).content()
                .contains("ExecStart=" + home + "/.local/bin/1bit proxy", "NoNewPrivileges=yes");
        assertThat(base.resolve(".config/systemd/user/open-webui.service")).as("no pip Open WebUI here").doesNotExist();
        assertThat(base.resolve(".config/systemd/user/1bit-flm.service")).as("no FastFlowLM here").doesNotExist();
        assertThat(base.resolve(".config/1bit/open-webui.env")).content()
                .contains("OPENAI_API_BASE_URL=http://127.0.0.1:13306/v1");
        assertThat(base.resolve(".local/share/bash-completion/completions/1bit")).exists();
        assertThat(base.resolve(".local/share/zsh/site-functions/_1bit")).exists();
        assertThat(base.resolve(".local/share/fish/vendor_completions.d/1bit.fish")).exists();
        assertThat(files(root)).noneMatch(f -> f.contains("limits.d"));

        List<String> before = files(root);
        Run again = run(home, "--root", root.toString());
        assertThat(again.code()).as(again.output()).isZero();
        assertThat(again.output()).doesNotContain("+ install", "+ cp");
        assertThat(files(root)).isEqualTo(before);
    }

    @Test
    void aLanesUnitIsInstalledWhereItsProgramIs() throws Exception {
        withLanePrograms();
        Path home = tmp.resolve("home");
        Path root = tmp.resolve("root");
        Run r = run(home, "--root", root.toString());
        assertThat(r.code()).as(r.output()).isZero();
        Path units = root.resolve(home.toString().substring(1)).resolve(".config/systemd/user");
        assertThat(units.resolve("1bit-flm.service")).content()
                .contains("ExecStart=" + lanePrograms.resolve("flm") + " serve $FLM_MODEL --host 127.0.0.1 --port $FLM_PORT",
                        "EnvironmentFile=" + home + "/.config/1bit/flm.env", "LimitMEMLOCK=infinity");
        assertThat(units.resolve("open-webui.service")).content()
                .contains("EnvironmentFile=" + home + "/.config/1bit/open-webui.env");
    }

    @Test
    void systemModeAddsTheMemlockLimit() throws Exception {
        Path root = tmp.resolve("root");
        Run r = run(tmp.resolve("home"), "--system", "--root", root.toString());
        assertThat(r.code()).as(r.output()).isZero();
        assertThat(root.resolve("etc/security/limits.d/99-1bit-systems.conf")).content().contains("memlock unlimited");
        assertThat(root.resolve("etc/systemd/system/1bit-proxy.service")).content().contains("ExecStart=/usr/local/bin/1bit proxy");
        assertThat(root.resolve("usr/local/bin/1bit")).isExecutable();
        assertThat(root.resolve("etc/1bit/open-webui.env")).exists();
    }

    @Test
    void dryRunChangesNothing() throws Exception {
        Path root = tmp.resolve("root");
        Run r = run(tmp.resolve("home"), "--system", "--root", root.toString(), "--dry-run");
        assertThat(r.code()).as(r.output()).isZero();
        assertThat(r.output()).contains("+ install -m 0644", "99-1bit-systems.conf", "+ install -m 0755");
        assertThat(files(root)).isEmpty();
    }

    @Test
    void aFileTheUserChangedIsBackedUpNotLost() throws Exception {
        Path home = tmp.resolve("home");
        Path root = tmp.resolve("root");
        assertThat(run(home, "--root", root.toString()).code()).isZero();
        Path env = root.resolve(home.toString().substring(1)).resolve(".config/1bit/open-webui.env");
        Files.writeString(env, "OPENAI_API_BASE_URL=http://my-own-proxy:9999/v1\n");
        Run r = run(home, "--root", root.toString());
        assertThat(r.code()).as(r.output()).isZero();
        try (Stream<Path> siblings = Files.list(env.getParent())) {
            List<Path> backups = siblings.filter(p -> p.getFileName().toString().startsWith("open-webui.env.bak.")).toList();
            assertThat(backups).singleElement().satisfies(b -> assertThat(b).content().contains("my-own-proxy:9999"));
        }
        assertThat(env).content().contains("127.0.0.1:13306");
    }

    @Test
    void uninstallLeavesNothingBehind() throws Exception {
        Path home = tmp.resolve("home");
        Path root = tmp.resolve("root");
        assertThat(run(home, "--system", "--root", root.toString()).code()).isZero();
        assertThat(files(root)).isNotEmpty();
        Run r = run(home, "--system", "--root", root.toString(), "--uninstall");
        assertThat(r.code()).as(r.output()).isZero();
        assertThat(files(root)).isEmpty();
        Run twice = run(home, "--system", "--root", root.toString(), "--uninstall");
        assertThat(twice.code()).isEqualTo(2);
        assertThat(twice.output()).contains("nothing to uninstall");
    }

    @Test
    void badOptionsAreRefused() throws Exception {
        Run r = run(tmp.resolve("home"), "--frobnicate");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.output()).contains("unknown option '--frobnicate'");
    }

    @Test
    void shellcheckIsClean() throws Exception {
        Process p = new ProcessBuilder("shellcheck", SCRIPT.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    }

    @Test
    void systemdAnalyzeVerifiesEveryInstalledUnit() throws Exception {
        // A real (rootless, user-mode) install, so ExecStart paths exist; systemd itself is not PID 1 here. With flm
        // and open-webui on PATH, every unit is installed.
        withLanePrograms();
        Path home = installedHome();
        Path units = home.resolve(".config/systemd/user");
        List<Path> toVerify = new ArrayList<>();
        try (Stream<Path> list = Files.list(units)) {
            for (Path unit : list.toList()) {
                String name = unit.getFileName().toString();
                if (name.contains("@.")) {  // a template is verified through an instance
                    Path instance = tmp.resolve(name.replace("@.", "@llama."));
                    Files.copy(unit, instance);
                    toVerify.add(instance);
                } else {
                    toVerify.add(unit);
                }
            }
        }
        assertThat(toVerify).hasSize(5);
        for (Path unit : toVerify) {
            Process p = new ProcessBuilder("systemd-analyze", "verify", unit.toString()).redirectErrorStream(true).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as(unit + ": " + out).isZero();
        }
        // The check can fail: a broken unit is refused.
        Path broken = Files.writeString(tmp.resolve("broken.service"), "[Service]\nExecStart=not-absolute\n");
        Process p = new ProcessBuilder("systemd-analyze", "verify", broken.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isNotZero();
        // and the installed launcher runs
        Process version = new ProcessBuilder(home.resolve(".local/bin/1bit").toString(), "--version").redirectErrorStream(true).start();
        assertThat(version.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).startsWith("1bit ");
    }

    /**
     * The installed launcher keeps stdout for the command: a JVM complaint (here a damaged AOT cache, as a disk error
     * or an interrupted install could leave it) goes to stderr, so `status --json` still prints one JSON document.
     */
    @Test
    void jvmWarningsNeverReachStdout() throws Exception {
        Path home = installedHome();
        Path cache = home.resolve(".local/lib/1bit/1bit-fast.aot");
        byte[] garbage = new byte[4096];
        new java.util.Random(7).nextBytes(garbage);
        Files.write(cache, garbage);
        Files.setLastModifiedTime(cache, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        Path err = tmp.resolve("stderr.txt");
        ProcessBuilder pb = new ProcessBuilder(home.resolve(".local/bin/1bit").toString(), "status", "--json")
                .redirectError(err.toFile());
        pb.environment().put("HOME", home.toString());
        pb.environment().put("ONEBIT_SYSTEMD", "none");
        Process status = pb.start();
        String out = new String(status.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(status.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(out).path("state").asText()).as(out).isNotEmpty();
        assertThat(Files.readString(err)).contains("AOT cache");
    }
}
