package systems.onebit.orchestrator.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.OrchestratorException;

class CredentialsTest {

    @TempDir
    Path dir;

    @Test
    void keysStoredPrivatelyAndUnderTheEnvironment() throws IOException {
        Credentials credentials = new Credentials(dir.resolve("credentials"));
        assertThat(credentials.under(Map.of("A", "1"))).isEqualTo(Map.of("A", "1"));
        credentials.set("LEMON", "k=with=equals");
        credentials.set("OTHER", "o");
        assertThat(Files.getPosixFilePermissions(credentials.file())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(credentials.read()).isEqualTo(Map.of("LEMON", "k=with=equals", "OTHER", "o"));
        assertThat(credentials.under(Map.of("OTHER", "env"))).isEqualTo(Map.of("LEMON", "k=with=equals", "OTHER", "env"));
        credentials.set("OTHER", "");
        assertThat(credentials.read()).isEqualTo(Map.of("LEMON", "k=with=equals"));
    }

    @Test
    void concurrentWritersLoseNothing() throws Exception {
        Credentials credentials = new Credentials(dir.resolve("credentials"));
        try (var pool = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 32; i++) {
                int n = i;
                pool.execute(() -> credentials.set("K" + n, "v" + n));
            }
        }
        assertThat(credentials.read()).hasSize(32).containsEntry("K31", "v31");
    }

    @Test
    void refusesAFileOthersCanReadOrALineThatIsNotAKey() throws IOException {
        Path file = dir.resolve("credentials");
        Files.writeString(file, "A=1\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> new Credentials(file).read()).isInstanceOf(OrchestratorException.class)
                .hasMessageContaining("can be read by others");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(file, "# comment\nA=1\nsecret-without-name\n");
        assertThatThrownBy(() -> new Credentials(file).read()).isInstanceOf(OrchestratorException.class)
                .hasMessageContaining("line 3 of").hasMessageNotContaining("secret-without-name");
        assertThatThrownBy(() -> new Credentials(file).set("not a name", "k")).isInstanceOf(OrchestratorException.class);
        assertThatThrownBy(() -> new Credentials(file).set("B", "two\nlines")).isInstanceOf(OrchestratorException.class);
    }
}
