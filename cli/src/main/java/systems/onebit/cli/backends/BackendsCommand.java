package systems.onebit.cli.backends;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.ExitException;
import systems.onebit.cli.Output;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;

@Command(name = "backends", mixinStandardHelpOptions = true,
        description = "The backend registry ($XDG_CONFIG_HOME/1bit/registry.yaml; locked, atomic writes).",
        subcommands = {BackendsCommand.ListBackends.class, BackendsCommand.Add.class, BackendsCommand.Remove.class,
                BackendsCommand.Enable.class, BackendsCommand.Disable.class, BackendKey.class})
public final class BackendsCommand {

    static Map<String, Object> toJson(Backend b, Registry registry) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", b.name());
        row.put("kind", b.kind().id());
        row.put("url", b.url().toString());
        row.put("port", b.port());
        row.put("flavor", b.flavor());
        row.put("models", b.models());
        row.put("args", b.args());
        row.put("priority", b.priority());
        row.put("enabled", b.enabled());
        row.put("default", b.name().equals(registry.defaultBackend()));
        return row;
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List registered backends.")
    public static final class ListBackends implements Callable<Integer> {
        @Option(names = "--json", description = "Print JSON: {file, proxy, defaultBackend, backends: [...]}.")
        boolean json;

        private final CliContext context;

        public ListBackends(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            Registry registry = context.registry().read();
            Output out = new Output(context.out(), context.env());
            if (json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("file", context.registry().file().toString());
                doc.put("proxy", Map.of("host", registry.proxyHost(), "port", registry.proxyPort()));
                doc.put("defaultBackend", registry.defaultBackend());
                doc.put("backends", registry.backends().stream().map(b -> toJson(b, registry)).toList());
                out.json(doc);
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("NAME", "KIND", "URL", "FLAVOR", "PRIORITY", "ENABLED", "MODELS"));
            for (Backend b : registry.backends()) {
                rows.add(List.of(b.name() + (b.name().equals(registry.defaultBackend()) ? " (default)" : ""),
                        b.kind().id(), b.url().toString(), b.flavor().isEmpty() ? "-" : b.flavor(),
                        Integer.toString(b.priority()), b.enabled() ? "yes" : "no",
                        b.models().isEmpty() ? "-" : String.join(",", b.models())));
            }
            out.table(rows);
            return 0;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Register a backend.")
    public static final class Add implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--kind", required = true, paramLabel = "KIND",
                description = "toolbox, lemonade, flm, openai or peer (another 1bit proxy).", completionCandidates = KindCandidates.class)
        String kind;

        @Option(names = "--url", paramLabel = "URL", description = "Base URL (default http://127.0.0.1:PORT).")
        URI url;

        @Option(names = "--port", paramLabel = "PORT", description = "Port on 127.0.0.1 (default: 13305; flm: 52625).")
        int port;

        @Option(names = "--flavor", paramLabel = "FLAVOR", description = "Toolbox flavor (toolbox backends).")
        String flavor = "";

        @Option(names = "--model", paramLabel = "PATH", description = "Model file or id (repeatable).")
        List<String> models = new ArrayList<>();

        @Option(names = "--arg", paramLabel = "ARG", description = "Extra backend argument (repeatable).")
        List<String> args = new ArrayList<>();

        @Option(names = "--priority", paramLabel = "N", description = "Lower wins when two backends serve a model (default 100; a peer 200, so local backends come first).")
        Integer priority;

        @Option(names = "--insecure", description = "A peer over plain HTTP beyond loopback (its key and prompts travel in clear): only on a private link.")
        boolean insecure;

        @Option(names = "--api-key-env", paramLabel = "VAR", defaultValue = "",
                description = "Environment variable holding the key the proxy sends to this backend as Bearer (e.g. "
                        + "LEMONADE_API_KEY); the key itself is never stored.")
        String apiKeyEnv;

        @Option(names = "--rpc", paramLabel = "HOST:PORT", description = "An RPC worker its llama-server offloads layers "
                + "to (repeatable; toolbox backends): becomes --rpc h1:p1,h2:p2 on its command.")
        List<String> rpc = new ArrayList<>();

        @Option(names = "--disabled", description = "Register it disabled.")
        boolean disabled;

        private final CliContext context;

        public Add(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            BackendKind k = BackendKind.parse(kind).orElseThrow(() -> ExitException.usage(
                    "unknown kind '" + kind + "': use toolbox, lemonade, flm, openai or peer"));
            if (url != null && port != 0) {
                throw ExitException.usage("give --url or --port, not both");
            }
            if (port < 0 || port > 65535) {
                throw ExitException.usage("--port " + port + " is not a TCP port (1-65535)");
            }
            int effectivePort = port != 0 ? port : k == BackendKind.FLM ? Registry.FLM_PORT : Registry.BACKEND_PORT;
            URI target = url != null ? url : URI.create("http://127.0.0.1:" + effectivePort);
            if (k == BackendKind.TOOLBOX) {
                context.catalog().get(flavor.isEmpty() ? "vulkan-radv" : flavor);
            }
            String effectiveFlavor = k == BackendKind.TOOLBOX && flavor.isEmpty() ? "vulkan-radv" : flavor;
            int effectivePriority = priority != null ? priority : k == BackendKind.PEER ? 200 : Backend.DEFAULT_PRIORITY;
            if (!rpc.isEmpty()) {
                if (k != BackendKind.TOOLBOX) {
                    throw ExitException.usage("--rpc is for toolbox backends (their llama-server offloads to the workers)");
                }
                args = new ArrayList<>(args);
                args.addAll(List.of("--rpc", String.join(",", rpc)));
            }
            Backend backend = new Backend(name, k, target, effectiveFlavor, models, args, effectivePriority, !disabled, apiKeyEnv,
                    insecure);
            context.registry().update(r -> r.with(backend));
            context.out().println("added " + name + " (" + k.id() + ", " + target + ")");
            return 0;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Unregister a backend.")
    public static final class Remove implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME", completionCandidates = systems.onebit.cli.LiveNames.Backends.class)
        String name;

        private final CliContext context;

        public Remove(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            context.registry().update(r -> r.without(name));
            context.out().println("removed " + name);
            return 0;
        }
    }

    @Command(name = "enable", mixinStandardHelpOptions = true, description = "Enable a backend.")
    public static final class Enable implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME", completionCandidates = systems.onebit.cli.LiveNames.Backends.class)
        String name;

        private final CliContext context;

        public Enable(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            return setEnabled(context, name, true);
        }
    }

    @Command(name = "disable", mixinStandardHelpOptions = true, description = "Disable a backend (kept, not used).")
    public static final class Disable implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME", completionCandidates = systems.onebit.cli.LiveNames.Backends.class)
        String name;

        private final CliContext context;

        public Disable(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            return setEnabled(context, name, false);
        }
    }

    private static int setEnabled(CliContext context, String name, boolean enabled) {
        context.registry().update(r -> r.replaced(r.require(name).withEnabled(enabled)));
        context.out().println((enabled ? "enabled " : "disabled ") + name);
        return 0;
    }

    /** Completion candidates for --kind. */
    public static final class KindCandidates implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(BackendKind.values()).map(BackendKind::id).iterator();
        }
    }
}
