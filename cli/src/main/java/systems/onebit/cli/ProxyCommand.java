package systems.onebit.cli;

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

    @Option(names = "--insecure", description = "Allow listening on a non-loopback address (the proxy has no API key yet).")
    boolean insecure;

    private final CliContext context;

    public ProxyCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws InterruptedException {
        Registry registry = context.registry().read();
        ProxyServer.Settings settings = ProxyServer.Settings.defaults(registry);
        String listen = host != null ? host : registry.proxyHost();
        if (!isLoopback(listen) && !insecure) {
            throw ExitException.usage("refusing to listen on " + listen + ": only loopback is safe without an API key; "
                    + "pass --insecure to do it anyway");
        }
        settings = new ProxyServer.Settings(listen, port >= 0 ? port : registry.proxyPort(), maxBodyMb << 20,
                settings.connectTimeout(), settings.firstByteTimeout(), settings.probeInterval());
        CountDownLatch stopped = new CountDownLatch(1);
        try (ProxyServer proxy = ProxyServer.start(registry, settings)) {
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
