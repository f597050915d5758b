package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checked-in completion scripts match the command model, and real bash, zsh and fish complete with them. */
class CompletionsTest {

    @TempDir
    Path home;

    private static final Path DIR = Path.of("../completions");

    @Test
    void checkedInScriptsMatchTheCommandModel() throws IOException {
        for (String shell : new String[] {"bash", "zsh", "fish"}) {
            Cli.Result result = new Cli(Path.of("/nonexistent")).run("completion", shell);
            assertThat(result.code()).isZero();
            assertThat(result.out())
                    .as("completions/1bit.%s drifted from the commands: regenerate with ./bin/1bit completion %s > completions/1bit.%s",
                            shell, shell, shell)
                    .isEqualTo(Files.readString(DIR.resolve("1bit." + shell)));
        }
    }

    private String shell(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void bashCompletesSubcommandsOptionsAndFlavors() throws Exception {
        String script = DIR.resolve("1bit.bash").toAbsolutePath().toString();
        String complete = "source " + script + "; COMP_WORDS=(%s); COMP_CWORD=%d; COMP_LINE=\"${COMP_WORDS[*]}\"; "
                + "COMP_POINT=${#COMP_LINE}; _complete_1bit; printf '%%s\\n' \"${COMPREPLY[@]}\"";
        assertThat(shell("bash", "-c", String.format(complete, "1bit to", 1))).contains("toolbox");
        assertThat(shell("bash", "-c", String.format(complete, "1bit toolbox cr", 2))).contains("create");
        assertThat(shell("bash", "-c", String.format(complete, "1bit toolbox create x --flavor ''", 5)))
                .contains("vulkan-radv", "rocm-7.2.2", "cpu");
        assertThat(shell("bash", "-c", String.format(complete, "1bit doctor --", 2))).contains("--json");
    }

    @Test
    void zshLoadsTheScriptThroughBashcompinit() throws Exception {
        String script = DIR.resolve("1bit.zsh").toAbsolutePath().toString();
        String out = shell("zsh", "-c", "HOME=" + home + "; source " + script
                + "; COMP_WORDS=(1bit toolbox cr); COMP_CWORD=2; _complete_1bit_zsh; print -l $COMPREPLY");
        assertThat(out).contains("create");
    }

    @Test
    void fishCompletesSubcommandsOptionsAndFlavors() throws Exception {
        String script = DIR.resolve("1bit.fish").toAbsolutePath().toString();
        String base = "set -x HOME " + home + "; source " + script + "; complete -C ";
        assertThat(shell("fish", "-c", base + "'1bit to'")).contains("toolbox");
        assertThat(shell("fish", "-c", base + "'1bit toolbox '")).contains("create", "list", "probe");
        assertThat(shell("fish", "-c", base + "'1bit toolbox create x --flavor '")).contains("vulkan-radv", "rocm-6.4.4");
        assertThat(shell("fish", "-c", base + "'1bit doctor --'")).contains("--json");
    }

    /**
     * A `1bit` on PATH that runs this build's CLI (the test class path: the launcher's jar is built after the tests)
     * with a registry holding two backends, so completion must ask it for live names.
     */
    private Path liveCli() throws Exception {
        Path bin = java.nio.file.Files.createDirectories(home.resolve("bin"));
        Path config = home.resolve("config");
        Cli cli = new Cli(home);
        assertThat(cli.run("backends", "add", "alpha", "--kind", "openai", "--port", "1").code()).isZero();
        assertThat(cli.run("backends", "add", "beta", "--kind", "openai", "--port", "2").code()).isZero();
        Path launcher = bin.resolve("1bit");
        java.nio.file.Files.writeString(launcher, "#!/bin/sh\nXDG_CONFIG_HOME='" + config + "' exec '"
                + Path.of(System.getProperty("java.home"), "bin", "java") + "' -cp '" + System.getProperty("java.class.path")
                + "' " + Main.class.getName() + " \"$@\"\n");
        launcher.toFile().setExecutable(true);
        return bin;
    }

    @Test
    void liveBackendNamesCompleteInBashZshAndFish() throws Exception {
        Path bin = liveCli();
        assertThat(shell("sh", "-c", bin.resolve("1bit") + " complete-names backends")).contains("alpha", "beta");
        String path = "PATH=" + bin + ":$PATH; ";
        String bash = DIR.resolve("1bit.bash").toAbsolutePath().toString();
        assertThat(shell("bash", "-c", path + "source " + bash + "; COMP_WORDS=(1bit up ''); COMP_CWORD=2; "
                + "COMP_LINE=\"1bit up \"; COMP_POINT=${#COMP_LINE}; _complete_1bit; printf '%s\\n' \"${COMPREPLY[@]}\""))
                .contains("alpha", "beta");
        String zsh = DIR.resolve("1bit.zsh").toAbsolutePath().toString();
        assertThat(shell("zsh", "-c", "HOME=" + home + "; " + path + "source " + zsh
                + "; COMP_WORDS=(1bit backends rm ''); COMP_CWORD=3; COMP_LINE='1bit backends rm '; _complete_1bit_zsh; print -l $COMPREPLY"))
                .contains("alpha", "beta");
        String fish = DIR.resolve("1bit.fish").toAbsolutePath().toString();
        assertThat(shell("fish", "-c", "set -x HOME " + home + "; set -x PATH " + bin + " $PATH; source " + fish
                + "; complete -C '1bit down '")).contains("alpha", "beta");
    }
}
