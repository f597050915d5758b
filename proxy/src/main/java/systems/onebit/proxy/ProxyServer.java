package systems.onebit.proxy;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.http1.Http1Config;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.host.HostPaths;
import systems.onebit.orchestrator.pull.PullJobs;
import systems.onebit.orchestrator.ondemand.ModelScheduler;
import systems.onebit.orchestrator.ondemand.OnDemandModels;
import systems.onebit.orchestrator.registry.Registry;

/**
 * The union proxy: one OpenAI-compatible endpoint (under /v1, /api/v1 and /api/v0) over every live backend. This
 * class starts and stops it; {@link ProxyRoutes} answers, {@link Forwarder} forwards, {@link BackendMonitor} keeps
 * the backends' health.
 */
public final class ProxyServer implements AutoCloseable {

    /**
     * Listening address, limits and access control.
     *
     * @param apiKey       required as {@code Authorization: Bearer KEY} on every route but /health; empty for none
     * @param corsOrigins  origins allowed to call from a browser ({@code *} for any); empty for none
     * @param maxConcurrent requests in flight per backend that does not say its slot count; more wait in a FIFO line
     *                      of {@code queueLimit}
     * @param idleTimeout   a response that sends nothing for this long is ended (with an error event when streaming)
     * @param reasoningAsContent copy {@code reasoning_content} into empty {@code content} (clients that show only content)
     * @param failureThreshold failed requests in a row (timeouts, broken answers) that mark a backend down
     * @param downWait      how long a request for a model whose backends are all down waits for one to come back
     * @param environment   where backends' keys are read ({@code apiKeyEnv} of a registry entry names the variable)
     */
    public record Settings(String host, int port, long maxBodyBytes, Duration connectTimeout, Duration firstByteTimeout,
                           Duration probeInterval, String apiKey, List<String> corsOrigins, int maxConcurrent,
                           int queueLimit, Duration idleTimeout, boolean reasoningAsContent, int failureThreshold,
                           Duration downWait, Map<String, String> environment) {
        public Settings {
            corsOrigins = List.copyOf(corsOrigins);
            environment = Map.copyOf(environment);
        }

        /** Never prints the keys (the proxy's own, or those in the environment). */
        @Override
        public String toString() {
            return "Settings[" + host + ":" + port + ", " + (apiKey.isEmpty() ? "no key" : "key set") + "]";
        }

        public static Settings defaults(Registry registry) {
            return new Settings(registry.proxyHost(), registry.proxyPort(), 50L << 20, Duration.ofSeconds(2),
                    Duration.ofMinutes(5), Duration.ofSeconds(2), "", List.of(), 8, 64, Duration.ofMinutes(2), false, 3,
                    Duration.ofSeconds(10), System.getenv());
        }

        public Settings withPort(int value) {
            return new Settings(host, value, maxBodyBytes, connectTimeout, firstByteTimeout, probeInterval, apiKey,
                    corsOrigins, maxConcurrent, queueLimit, idleTimeout, reasoningAsContent, failureThreshold, downWait, environment);
        }

        public Settings withMaxBodyBytes(long value) {
            return new Settings(host, port, value, connectTimeout, firstByteTimeout, probeInterval, apiKey, corsOrigins,
                    maxConcurrent, queueLimit, idleTimeout, reasoningAsContent, failureThreshold, downWait, environment);
        }

        public Settings withAccess(String key, List<String> origins) {
            return new Settings(host, port, maxBodyBytes, connectTimeout, firstByteTimeout, probeInterval, key, origins,
                    maxConcurrent, queueLimit, idleTimeout, reasoningAsContent, failureThreshold, downWait, environment);
        }

        public Settings withLimits(int concurrent, int queue, Duration firstByte) {
            return new Settings(host, port, maxBodyBytes, connectTimeout, firstByte, probeInterval, apiKey, corsOrigins,
                    concurrent, queue, idleTimeout, reasoningAsContent, failureThreshold, downWait, environment);
        }

        public Settings withTimers(Duration probe, Duration idle) {
            return new Settings(host, port, maxBodyBytes, connectTimeout, firstByteTimeout, probe, apiKey, corsOrigins,
                    maxConcurrent, queueLimit, idle, reasoningAsContent, failureThreshold, downWait, environment);
        }

        public Settings withReasoningAsContent(boolean value) {
            return new Settings(host, port, maxBodyBytes, connectTimeout, firstByteTimeout, probeInterval, apiKey,
                    corsOrigins, maxConcurrent, queueLimit, idleTimeout, value, failureThreshold, downWait, environment);
        }

        public Settings withHealth(int threshold, Duration wait) {
            return new Settings(host, port, maxBodyBytes, connectTimeout, firstByteTimeout, probeInterval, apiKey,
                    corsOrigins, maxConcurrent, queueLimit, idleTimeout, reasoningAsContent, threshold, wait, environment);
        }

        public Settings withEnvironment(Map<String, String> value) {
            return new Settings(host, port, maxBodyBytes, connectTimeout, firstByteTimeout, probeInterval, apiKey,
                    corsOrigins, maxConcurrent, queueLimit, idleTimeout, reasoningAsContent, failureThreshold, downWait, value);
        }
    }

    private final WebServer server;
    private final BackendMonitor monitor;
    private final UpstreamClient upstream;
    private final OnDemandModels models;

    private ProxyServer(WebServer server, BackendMonitor monitor, UpstreamClient upstream, OnDemandModels models) {
        this.server = server;
        this.monitor = monitor;
        this.upstream = upstream;
        this.models = models;
    }

    public static ProxyServer start(Registry registry, Settings settings) {
        return start(RegistryWatch.fixed(registry), settings, new Observer(line -> { }));
    }

    /**
     * Starts the proxy over a registry that is re-read when its file changes; {@code observer} gets the access log
     * and serves /metrics.
     */
    public static ProxyServer start(RegistryWatch registry, Settings settings, Observer observer) {
        return start(registry, settings, observer, ModelScheduler.none());
    }

    /** As above, loading the registry's models on demand through {@code models} (closed with the proxy). */
    public static ProxyServer start(RegistryWatch registry, Settings settings, Observer observer, OnDemandModels models) {
        return start(registry, settings, observer, models, PullJobs.none());
    }

    /** As above, downloading models asked for by Lemonade-style {@code POST /api/v1/pull} through {@code pulls}. */
    public static ProxyServer start(RegistryWatch registry, Settings settings, Observer observer, OnDemandModels models,
                                    PullJobs pulls) {
        return start(registry, settings, observer, models, pulls, StackView.none());
    }

    /** As above, answering {@code GET /api/v1/status} from {@code status}. */
    public static ProxyServer start(RegistryWatch registry, Settings settings, Observer observer, OnDemandModels models,
                                    PullJobs pulls, StackView status) {
        UpstreamClient upstream = upstream(settings);
        ConcurrencyGate gate = new ConcurrencyGate(settings.maxConcurrent(), settings.queueLimit());
        BackendKeys keys = new BackendKeys(registry::current, settings.environment());
        BackendMonitor monitor = new BackendMonitor(registry, upstream, new BackendMonitor.Settings(settings.probeInterval(),
                Duration.ofSeconds(1), settings.failureThreshold()), gate::inFlight, keys).start();
        ProxyRoutes routes = routes(monitor, registry::current, settings, observer, models, gate, upstream, keys, pulls,
                status);
        WebServer server = WebServer.builder()
                .host(settings.host())
                .port(settings.port())
                // Small responses go out at once: Nagle plus delayed ACKs would add 40 ms to each.
                .connectionOptions(o -> o.tcpNoDelay(true))
                // No per-packet trace listeners (Helidon's default): the access log says what a request did.
                .addProtocol(Http1Config.builder().receiveLog(false).sendLog(false).build())
                .routing(routes::register)
                .build()
                .start();
        if (!server.isRunning()) {
            // Helidon logs why and returns a stopped server. Nothing of the on-demand models has been touched yet:
            // models left running belong to whoever holds the port.
            monitor.close();
            upstream.close();
            models.close();
            throw new OrchestratorException(OrchestratorException.Reason.CONFLICT, "cannot listen on " + settings.host()
                    + ":" + settings.port() + " (the port is taken, or the address is not this host's)",
                    "stop what listens there (ss -ltnp 'sport = :" + settings.port() + "': another 1bit proxy?), or choose "
                            + "another with --port / the registry's proxy.port");
        }
        models.start();
        return new ProxyServer(server, monitor, upstream, models);
    }

    /** The routes over {@code backends}; tests register them on Helidon's test server. */
    static ProxyRoutes routes(Backends backends, Supplier<Registry> registry, Settings settings,
                              Observer observer, OnDemandModels models, ConcurrencyGate gate, UpstreamClient upstream,
                              BackendKeys keys, PullJobs pulls, StackView status) {
        Relay relay = new Relay(observer, settings.idleTimeout(), settings.reasoningAsContent());
        Forwarder forwarder = new Forwarder(backends, registry, gate, upstream, relay, models, settings.downWait(), keys);
        return new ProxyRoutes(backends, registry, settings, observer, models, forwarder, status,
                new LemonadeRoutes(backends::snapshot, models, observer, upstream, HostPaths.real(), pulls));
    }

    static UpstreamClient upstream(Settings settings) {
        // llama-server's cpp-httplib closes a connection idle for 5 s: pooled ones are dropped a little sooner.
        return new UpstreamClient(new UpstreamClient.Settings(settings.connectTimeout(), settings.firstByteTimeout(),
                settings.idleTimeout(), Duration.ofSeconds(4), 256));
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.stop();
        monitor.close();
        upstream.close();
        models.close();
    }
}
