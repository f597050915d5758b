package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Every exit code is documented in README.md with its number, name and meaning, and in `1bit --help`. */
class ExitCodeDocTest {

    @Test
    void readmeDocumentsEveryExitCode() throws Exception {
        String readme = Files.readString(Path.of("../README.md"));
        for (ExitCode code : ExitCode.values()) {
            assertThat(readme).contains("| " + code.code() + " | " + code.name() + " | " + code.meaning() + " |");
        }
    }

    @Test
    void helpListsEveryExitCode() {
        Cli.Result help = new Cli(Path.of("/nonexistent")).run("--help");
        assertThat(help.code()).isZero();
        String footer = help.out().substring(help.out().indexOf("Exit codes:"));
        for (ExitCode code : ExitCode.values()) {
            assertThat(footer).contains(" " + code.code() + " ");
        }
    }
}
