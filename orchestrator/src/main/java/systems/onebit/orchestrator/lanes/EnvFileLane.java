package systems.onebit.orchestrator.lanes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.fs.LocalFiles;
import systems.onebit.orchestrator.stack.Lane;
import systems.onebit.orchestrator.stack.StackReport;

/** A lane whose systemd unit reads its settings from an environment file: the file is written (atomically) first. */
final class EnvFileLane implements Lane {

    private final Path file;
    private final String content;
    private final Lane unit;

    EnvFileLane(Path file, String content, Lane unit) {
        this.file = file;
        this.content = content;
        this.unit = unit;
    }

    @Override
    public String name() {
        return unit.name();
    }

    @Override
    public String describe() {
        return unit.describe() + " (settings in " + file + ")";
    }

    @Override
    public StackReport up(Duration timeout) {
        try {
            Files.createDirectories(file.getParent());
            LocalFiles.replace(file, content, false);
        } catch (IOException e) {
            return new StackReport.Failed(name(), OrchestratorException.precondition("cannot write " + file + " ("
                    + e.getMessage() + ")", "check that " + file.getParent() + " is writable"));
        }
        return unit.up(timeout);
    }

    @Override
    public StackReport down(Duration timeout) {
        return unit.down(timeout);
    }
}
