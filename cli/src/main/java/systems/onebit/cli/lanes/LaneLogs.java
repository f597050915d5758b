package systems.onebit.cli.lanes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.ExitCode;
import systems.onebit.cli.ExitException;
import systems.onebit.orchestrator.logs.LogSource;

/** The log of a lane run as a detached process: {@code NAME.log} under the state directory, its last lines. */
public final class LaneLogs {

    private LaneLogs() {
    }

    public static int print(CliContext context, String name, int lines) {
        Path log = context.stateDir().resolve(name + ".log");
        if (!Files.exists(log)) {
            throw ExitException.of(ExitCode.NOT_FOUND, "no log at " + log + ": " + name
                    + " has not been started by 1bit here (a systemd unit logs to `journalctl --user -u UNIT`)");
        }
        try {
            // The same reader `1bit logs` uses for a file.
            new LogSource.File(name, log).read(lines, false, Instant.EPOCH, context.out()::println);
            return 0;
        } catch (IOException e) {
            throw ExitException.of(ExitCode.PRECONDITION, "cannot read " + log + " (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCode.FAILURE.code();
        }
    }
}
