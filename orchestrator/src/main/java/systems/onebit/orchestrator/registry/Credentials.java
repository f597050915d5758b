package systems.onebit.orchestrator.registry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.fs.LocalFiles;

/**
 * Backends' keys kept beside the registry, in a file only its owner may read ({@code credentials}, mode 0600):
 * {@code VARIABLE=key} lines, named by the registry entries' {@code apiKeyEnv}. For a proxy started by systemd or
 * `1bit up`, where exporting a variable is awkward. A variable set in the environment wins over the file. Keys are
 * written here from standard input (`1bit backends key NAME`), never taken from the command line.
 */
public final class Credentials {

    public static final String FILE = "credentials";

    private static final Set<PosixFilePermission> OTHERS = Set.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final Path file;

    public Credentials(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** {@code environment} with the file's keys beneath it; the environment itself when there is no file. */
    public Map<String, String> under(Map<String, String> environment) {
        Map<String, String> stored = read();
        if (stored.isEmpty()) {
            return environment;
        }
        Map<String, String> merged = new HashMap<>(stored);
        merged.putAll(environment);
        return merged;
    }

    /** The file's keys by variable; empty when there is no file. Refuses a file others can read. */
    public Map<String, String> read() {
        try {
            if (Files.exists(file) && !Files.getPosixFilePermissions(file).stream().noneMatch(OTHERS::contains)) {
                throw OrchestratorException.precondition("the credentials file " + file + " can be read by others",
                        "make it private: chmod 600 " + file);
            }
            Map<String, String> keys = new LinkedHashMap<>();
            int number = 0;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                number++;
                String text = line.strip();
                if (text.isEmpty() || text.startsWith("#")) {
                    continue;
                }
                int eq = text.indexOf('=');
                if (eq <= 0 || !Backend.ENV_NAME.matcher(text.substring(0, eq)).matches()) {
                    // The line is not repeated: it may hold a key.
                    throw OrchestratorException.configInvalid("line " + number + " of " + file + " is not VARIABLE=key",
                            "fix it by hand, or set the key again with `1bit backends key NAME`");
                }
                keys.put(text.substring(0, eq), text.substring(eq + 1));
            }
            return keys;
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (IOException e) {
            throw OrchestratorException.precondition("cannot read the credentials file " + file + " (" + e.getMessage() + ")",
                    "check its owner and mode (600)");
        } catch (UnsupportedOperationException e) {
            return Map.of();  // no POSIX permissions on this file system: nothing to check, nothing read
        }
    }

    /** Stores {@code key} under {@code variable} (locked, atomic, owner-only); an empty key removes it. */
    public void set(String variable, String key) {
        if (!Backend.ENV_NAME.matcher(variable).matches()) {
            throw OrchestratorException.invalid("'" + variable + "' is not an environment variable name",
                    "use letters, digits and '_'");
        }
        if (key.contains("\n") || key.contains("\r")) {
            throw OrchestratorException.invalid("the key has a line break in it", "give the key on one line");
        }
        try {
            LocalFiles.exclusively(file.resolveSibling(FILE + ".lock"), () -> {
                Map<String, String> keys = new LinkedHashMap<>(read());
                if (key.isEmpty()) {
                    keys.remove(variable);
                } else {
                    keys.put(variable, key);
                }
                StringBuilder text = new StringBuilder("# 1bit backend keys (VARIABLE=key), mode 600; set with `1bit backends key NAME`\n");
                keys.forEach((name, value) -> text.append(name).append('=').append(value).append('\n'));
                LocalFiles.replace(file, text.toString(), true);
                return null;
            });
        } catch (IOException e) {
            throw OrchestratorException.precondition("cannot write the credentials file " + file + " (" + e.getMessage() + ")",
                    "check that " + file.getParent() + " is writable");
        }
    }
}
