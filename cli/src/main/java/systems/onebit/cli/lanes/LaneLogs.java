package systems.onebit.cli.lanes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.ExitException;

/** The log of a lane run as a detached process: {@code NAME.log} under the state directory, its last lines. */
public final class LaneLogs {

    private LaneLogs() {
    }

    public static int print(CliContext context, String name, int lines) {
        Path log = context.stateDir().resolve(name + ".log");
        if (!Files.exists(log)) {
            throw ExitException.of(systems.onebit.cli.ExitCode.NOT_FOUND, "no log at " + log + ": " + name
                    + " has not been started by 1bit here (a systemd unit logs to `journalctl --user -u UNIT`)");
        }
        try {
            List<String> all = Files.readAllLines(log);
            all.subList(Math.max(0, all.size() - lines), all.size()).forEach(context.out()::println);
            return 0;
        } catch (IOException e) {
            throw ExitException.of(systems.onebit.cli.ExitCode.PRECONDITION, "cannot read " + log + " (" + e.getMessage() + ")");
        }
    }
}
