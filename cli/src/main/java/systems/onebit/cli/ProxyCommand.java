package systems.onebit.cli;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.proxy.ProxyServer;

@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = {"Run the OpenAI-compatible union proxy in the foreground (for systemd ExecStart=).",
                "Serves /v1, /api/v1 and /api/v0 over the registry's enabled backends; stops on SIGTERM."})
public final class ProxyCommand implements Callable<Integer> {

    @Option(names = "--host", paramLabel = "HOST", description = "Address to listen on (default: the registry's, 127.0.0.1).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "-1",
            description = "Port (default: the registry's, 13306; 0 picks a free one).")
    int port;

    @Option(names = "--max-body-mb", paramLabel = "MB", defaultValue = "50", description = "Largest request body (default ${DEFAULT-VALUE}).")
    long maxBodyMb;

    @Option(names = "--insecure", description = "Allow listening on a non-loopback address without an API key.")
    boolean insecure;

    @Option(names = "--api-key-env", paramLabel = "VAR", defaultValue = "ONEBIT_API_KEY",
            description = "Environment variable holding the API key clients must send as Bearer (default ${DEFAULT-VALUE}; "
                    + "unset: no key). Kept out of the command line so it never shows in ps or logs.")
    String apiKeyEnv;

    @Option(names = "--cors-origin", paramLabel = "ORIGIN",
            description = "Origin allowed to call from a browser, e.g. http://localhost:3000 (repeatable; * for any).")
    java.util.List<String> corsOrigins = new java.util.ArrayList<>();

    @Option(names = "--max-concurrent", paramLabel = "N", defaultValue = "8",
            description = "Requests in flight per backend (default ${DEFAULT-VALUE}); more wait in line.")
    int maxConcurrent;

    @Option(names = "--reasoning-as-content",
            description = "Copy reasoning_content into empty content, for clients that would otherwise show nothing.")
    boolean reasoningAsContent;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "64",
            description = "Requests that may wait per backend before 429 (default ${DEFAULT-VALUE}).")
    int queue;

    private final CliContext context;

    public ProxyCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws InterruptedException {
        context.configureLogging();
        systems.onebit.proxy.RegistryWatch watch = systems.onebit.proxy.RegistryWatch.of(context.registry());
        Registry registry = watch.current();
        ProxyServer.Settings settings = ProxyServer.Settings.defaults(registry);
        String listen = host != null ? host : registry.proxyHost();
        String apiKey = context.env().getOrDefault(apiKeyEnv, "");
        if (!isLoopback(listen) && apiKey.isEmpty() && !insecure) {
            throw ExitException.usage("refusing to listen on " + listen + " without an API key: set " + apiKeyEnv
                    + ", or pass --insecure to do it anyway");
        }
        if (maxConcurrent < 1 || queue < 0) {
            throw ExitException.usage("--max-concurrent must be at least 1 and --queue at least 0");
        }
        settings = new ProxyServer.Settings(listen, port >= 0 ? port : registry.proxyPort(), maxBodyMb << 20,
                settings.connectTimeout(), settings.firstByteTimeout(), settings.probeInterval(), apiKey, corsOrigins,
                maxConcurrent, queue, settings.idleTimeout(), reasoningAsContent);
        CountDownLatch stopped = new CountDownLatch(1);
        PrintStream log = context.err();
        try (ProxyServer proxy = ProxyServer.start(watch, settings, new systems.onebit.proxy.Observer(log::println))) {
            Thread hook = new Thread(stopped::countDown, "1bit-proxy-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            context.out().println("1bit proxy listening on http://" + listen + ":" + proxy.port() + "/v1 ("
                    + registry.backends().stream().filter(b -> b.enabled()).count() + " backends)");
            try {
                stopped.await();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException ignored) {
                    // already shutting down
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
