package systems.onebit.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * Runs the everyday read-only commands once, output discarded, so that a JVM started with
 * {@code -XX:AOTCacheOutput} records their classes (see bench/train-aot.sh). Hidden from help.
 */
@Command(name = "aot-train", hidden = true, description = "Exercise common commands for a Java AOT cache training run.")
public final class AotTrainCommand implements Callable<Integer> {

    private final CliContext context;

    public AotTrainCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
        for (List<String> args : List.of(List.of("--version"), List.of("--help"), List.of("toolbox", "flavors"),
                List.of("toolbox", "list", "--json"), List.of("toolbox", "list"), List.of("doctor", "--json"),
                List.of("doctor"), List.of("status", "--json"), List.of("backends", "list", "--json"))) {
            Main.run(context.env(), sink, sink, args.toArray(String[]::new));
        }
        return 0;
    }
}
