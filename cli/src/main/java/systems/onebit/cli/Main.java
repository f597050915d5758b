package systems.onebit.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import systems.onebit.orchestrator.OrchestratorException;

/** Entry point: {@code main} is one line around the testable {@link #run}. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        exit(run(System.getenv(), System.out, System.err, args));
    }

    /**
     * Ends the JVM with {@code code} once stdout and stderr are flushed. Not System.exit: since Java 21 it asks
     * System.Logger whether to log the exit, and finding the logging backend scans every jar on the class path for a
     * service (about 60 ms, a fifth of a {@code 1bit status}). 1bit registers no shutdown hook that a finished
     * command needs (the proxy's own hook runs when a signal stops it, which does not come through here).
     */
    static void exit(int code) {
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(code);
    }

    public static int run(PrintStream out, PrintStream err, String... args) {
        return run(System.getenv(), out, err, args);
    }

    public static int run(Map<String, String> env, PrintStream out, PrintStream err, String... args) {
        return run(env, System.in, out, err, args);
    }

    /** As above, reading standard input from {@code in} (a key given to `backends key`). */
    public static int run(Map<String, String> env, InputStream in, PrintStream out, PrintStream err, String... args) {
        // picocli otherwise looks up groovy.lang.Closure, and a class that is not there makes the JVM open every jar
        // on the class path (70 of them): about 100 ms of start-up.
        System.setProperty("picocli.disable.closures", "true");
        try (CliContext context = new CliContext(env, in, out, err)) {
            StatusCommand.collectAhead(context, args);
            CommandLine cli = commandLine(context, args.length > 0 ? args[0] : "");
            return cli.execute(args);
        }
    }

    /** The whole command tree with its one exception mapper; also used to generate completions and docs. */
    public static CommandLine commandLine(CliContext context) {
        return commandLine(context, "");
    }

    /**
     * The command tree for a run whose first argument is {@code first}: when it names a subcommand only that branch
     * is built (picocli's model building is most of a short command's start-up time); otherwise all of them, for
     * the root's help and its "did you mean" suggestions.
     */
    static CommandLine commandLine(CliContext context, String first) {
        ContextFactory factory = new ContextFactory(context);
        CommandLine cli = new CommandLine(new RootCommand(), factory);
        RootCommand.SUBCOMMANDS.forEach((name, type) -> {
            boolean version = first.equals("--version") || first.equals("-V");
            if (first.equals(name) || !(version || RootCommand.SUBCOMMANDS.containsKey(first))) {
                cli.addSubcommand(name, new CommandLine(create(factory, type), factory));
            }
        });
        // Concatenation, not String.format: java.util.Formatter's first use costs ~10 ms of every start-up.
        cli.getCommandSpec().usageMessage().footer(java.util.Arrays.stream(ExitCode.values())
                .map(c -> (c.code() < 10 ? "   " : "  ") + c.code() + "  " + c.meaning()).toArray(String[]::new));
        cli.setOut(new PrintWriter(context.out(), true));
        cli.setErr(new PrintWriter(context.err(), true));
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            ExitCode code;
            String message;
            if (ex instanceof ExitException exit) {
                code = exit.code();
                message = exit.getMessage();
            } else if (ex instanceof OrchestratorException oe) {
                code = ExitCode.of(oe.reason());
                message = oe.oneLine();
            } else {
                code = ExitCode.FAILURE;
                message = "internal error: " + ex + " (please report it; run with --verbose for details)";
                if (context.env().containsKey("ONEBIT_DEBUG")) {
                    ex.printStackTrace(context.err());
                }
            }
            if (!message.isEmpty()) {
                context.err().println("1bit: " + message);
            }
            return code.code();
        });
        cli.setParameterExceptionHandler((ex, args) -> {
            context.err().println("1bit: " + ex.getMessage() + " (see '"
                    + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return ExitCode.USAGE.code();
        });
        return cli;
    }

    private static Object create(ContextFactory factory, Class<?> type) {
        try {
            return factory.create(type);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create command " + type.getName(), e);
        }
    }

    /** Lets commands take the {@link CliContext} in their constructor. */
    private record ContextFactory(CliContext context) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            try {
                return cls.getDeclaredConstructor(CliContext.class).newInstance(context);
            } catch (NoSuchMethodException e) {
                return CommandLine.defaultFactory().create(cls);
            }
        }
    }
}
