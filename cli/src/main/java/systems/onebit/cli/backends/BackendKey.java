package systems.onebit.cli.backends;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.ExitException;
import systems.onebit.cli.LiveNames;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.registry.Backend;

/** Stores a backend's key in the credentials file, read from standard input: a key never passes through argv. */
@Command(name = "key", mixinStandardHelpOptions = true,
        description = {"Store the API key of backend NAME (registered with --api-key-env VAR) in the credentials file "
                + "beside the registry (mode 600), read from standard input: `1bit backends key lemonade < key.txt`, "
                + "or typed without echo at a terminal. The environment variable, when set, wins over the file.",
                "Restart the proxy afterwards (it reads keys when it starts)."})
public final class BackendKey implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NAME", completionCandidates = LiveNames.Backends.class)
    String name;

    @Option(names = "--remove", description = "Remove the stored key instead.")
    boolean remove;

    private final CliContext context;

    public BackendKey(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        Backend backend = context.registry().read().require(name);
        if (backend.apiKeyEnv().isEmpty()) {
            throw new OrchestratorException(OrchestratorException.Reason.PRECONDITION,
                    "backend '" + name + "' has no API key variable",
                    "register it with one: `1bit backends rm " + name + "`, then `1bit backends add " + name
                            + " … --api-key-env VAR`");
        }
        if (remove) {
            context.credentials().set(backend.apiKeyEnv(), "");
            context.out().println("removed the stored key of " + name + " ($" + backend.apiKeyEnv() + ")");
            return 0;
        }
        String key = readKey().strip();
        if (key.isEmpty()) {
            throw ExitException.usage("no key on standard input: pipe it in (`1bit backends key " + name
                    + " < file`) or type it at the prompt");
        }
        context.credentials().set(backend.apiKeyEnv(), key);
        context.out().println("stored the key of " + name + " as $" + backend.apiKeyEnv() + " in "
                + context.credentials().file() + " (mode 600); restart the proxy to use it");
        return 0;
    }

    private String readKey() {
        Console console = System.console();
        if (context.in() == System.in && console != null && console.isTerminal()) {
            char[] typed = console.readPassword("API key for %s: ", name);
            return typed == null ? "" : new String(typed);
        }
        try {
            String line = new BufferedReader(new InputStreamReader(context.in(), StandardCharsets.UTF_8)).readLine();
            return line == null ? "" : line;
        } catch (IOException e) {
            throw ExitException.usage("cannot read the key from standard input (" + e.getMessage() + ")");
        }
    }
}
