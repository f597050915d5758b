package systems.onebit.orchestrator.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes executables named as the real programs ({@code flm}, {@code gaia}) that run a stand-in class on this JVM
 * with the test class path: what cannot run here (no NPU, no GAIA install) answers on the real command lines.
 */
public final class StandInPrograms {

    private StandInPrograms() {
    }

    /** Writes {@code dir/name} running {@code main}; returns it. */
    public static Path write(Path dir, String name, Class<?> main) throws IOException {
        Files.createDirectories(dir);
        String java = ProcessHandle.current().info().command().orElse("java");
        String script = "#!/bin/sh\n# stand-in for " + name + " (tests only)\nexec '" + java + "' -cp '"
                + System.getProperty("java.class.path") + "' " + main.getName() + " \"$@\"\n";
        Path file = dir.resolve(name);
        Files.writeString(file, script);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }
}
