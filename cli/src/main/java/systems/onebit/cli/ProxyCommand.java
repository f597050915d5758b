package systems.onebit.cli;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import systems.onebit.orchestrator.host.GpuMemory;
import systems.onebit.orchestrator.ondemand.ModelScheduler;
import systems.onebit.orchestrator.ondemand.ToolboxModelRunner;
import systems.onebit.orchestrator.pull.ModelCatalog;
import systems.onebit.orchestrator.pull.PullJobs;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.proxy.AccessLog;
import systems.onebit.proxy.Observer;
import systems.onebit.proxy.ProxyServer;
import systems.onebit.proxy.StackView;

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

    @Option(names = "--failure-threshold", paramLabel = "N", defaultValue = "3",
            description = "Failed requests in a row (timeouts, broken answers) that mark a backend down (default "
                    + "${DEFAULT-VALUE}); a refused connection marks it down at once.")
    int failureThreshold;

    @Option(names = "--down-wait", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "How long a request for a model whose backends are all down waits for one to come back "
                    + "(default ${DEFAULT-VALUE}); then 503 with Retry-After.")
    java.time.Duration downWait;

    @Option(names = "--memory-budget", paramLabel = "GIB",
            description = "Memory the on-demand models may take together (default: GTT + VRAM of the amdgpu card, "
                    + "else MemTotal less 4 GiB).")
    Double memoryBudgetGib;

    @Option(names = "--model-overhead-mb", paramLabel = "MB", defaultValue = "512",
            description = "Per loaded model on top of weights and KV cache, for compute buffers (default ${DEFAULT-VALUE}).")
    long overheadMb;

    @Option(names = "--idle-ttl", paramLabel = "DURATION", defaultValue = "10m", converter = DurationConverter.class,
            description = "Unload an on-demand model unused this long (default ${DEFAULT-VALUE}; a model's own --ttl wins).")
    java.time.Duration idleTtl;

    @Option(names = "--model-start-timeout", paramLabel = "DURATION", defaultValue = "3m", converter = DurationConverter.class,
            description = "Longest a request waits for its model to load (default ${DEFAULT-VALUE}); then 503.")
    java.time.Duration startTimeout;

    @Option(names = "--keepalive", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
            description = "While a model loads, a streaming client gets an SSE comment this often (default ${DEFAULT-VALUE}).")
    java.time.Duration keepalive;

    @Option(names = "--model-check-interval", paramLabel = "DURATION", defaultValue = "1s", converter = DurationConverter.class,
            description = "How often idle TTLs and loaded models' health are checked (default ${DEFAULT-VALUE}).")
    java.time.Duration checkInterval;

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
        if (maxConcurrent < 1 || queue < 0 || failureThreshold < 1 || downWait.isNegative()) {
            throw ExitException.usage("--max-concurrent and --failure-threshold must be at least 1, --queue and "
                    + "--down-wait at least 0");
        }
        settings = new ProxyServer.Settings(listen, port >= 0 ? port : registry.proxyPort(), maxBodyMb << 20,
                settings.connectTimeout(), settings.firstByteTimeout(), settings.probeInterval(), apiKey, corsOrigins,
                maxConcurrent, queue, settings.idleTimeout(), reasoningAsContent, failureThreshold, downWait, context.keyEnvironment());
        CountDownLatch stopped = new CountDownLatch(1);
        CountDownLatch cleanedUp = new CountDownLatch(1);
        PrintStream log = context.err();
        ModelScheduler models = onDemand(watch);
        try (AccessLog access = new AccessLog(log);
             ProxyServer proxy = ProxyServer.start(watch, settings, new Observer(access), models,
                     new PullJobs(context.pull()::pull, ModelCatalog.embedded()),
                     StackView.of(StatusCommand.service(context), Duration.ofMillis(StatusCommand.DEFAULT_TIMEOUT_MS), context.logs(),
                             context::toolboxes))) {
            // On SIGTERM the JVM halts once its hooks return: this one waits (bounded) until the proxy has closed and
            // unloaded its on-demand models, so no container is left running.
            Thread hook = new Thread(() -> {
                stopped.countDown();
                try {
                    cleanedUp.await(60, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "1bit-proxy-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            context.out().println("1bit proxy listening on http://" + listen + ":" + proxy.port() + "/v1 ("
                    + registry.backends().stream().filter(b -> b.enabled()).count() + " backends, "
                    + registry.models().size() + " models on demand within " + String.format("%.1f GiB", models.budgetBytes() / (double) (1L << 30))
                    + ")");
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
        } finally {
            cleanedUp.countDown();
        }
        return 0;
    }

    /** The registry's models, loaded in toolbox containers when asked for (the engine is opened on first need). */
    private ModelScheduler onDemand(systems.onebit.proxy.RegistryWatch watch) {
        if (overheadMb < 0 || idleTtl.isZero() || startTimeout.isZero() || keepalive.isZero() || checkInterval.isZero()) {
            throw ExitException.usage("--model-overhead-mb must be 0 or more, and the durations above zero");
        }
        long budget;
        if (memoryBudgetGib != null) {
            if (memoryBudgetGib <= 0) {
                throw ExitException.usage("--memory-budget must be above zero");
            }
            budget = (long) (memoryBudgetGib * (1L << 30));
        } else {
            budget = GpuMemory.defaultBudget(context.host()).map(GpuMemory.Budget::bytes).orElse(0L);
        }
        ModelScheduler.Settings settings = ModelScheduler.Settings.defaults(budget).withOverhead(overheadMb << 20)
                .withTimes(idleTtl, startTimeout, java.time.Duration.ofSeconds(30), checkInterval).withWaitTick(keepalive);
        // Started by ProxyServer.start once the port is ours (it takes over models left running).
        return new ModelScheduler(() -> watch.current().models(), ModelScheduler.estimator(settings),
                new ToolboxModelRunner(context::toolboxes), settings);
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
