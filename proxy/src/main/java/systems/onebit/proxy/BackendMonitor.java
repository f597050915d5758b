package systems.onebit.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import systems.onebit.orchestrator.registry.Backend;

/**
 * Probes every enabled backend's model list in the background and keeps an immutable snapshot, so a request
 * never waits on a dead backend. A backend that stops answering keeps its last-known models, marked down. Each
 * round first re-reads the registry if its file changed.
 */
public final class BackendMonitor implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RegistryWatch registry;
    private final HttpClient http;
    private final Duration timeout;
    private final AtomicReference<List<LiveBackend>> snapshot = new AtomicReference<>(List.of());
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "1bit-backend-monitor");
        t.setDaemon(true);
        return t;
    });

    public BackendMonitor(RegistryWatch registry, Duration timeout) {
        this.registry = registry;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** Probes once (bounded by the timeout), then every {@code interval} in the background. */
    public BackendMonitor start(Duration interval) {
        refresh();
        scheduler.scheduleWithFixedDelay(this::refresh, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    public List<LiveBackend> snapshot() {
        return snapshot.get();
    }

    /**
     * Opens the circuit for a backend that just failed a request: it counts as down (its models fail over to
     * other backends) until the next probe finds it answering again (the half-open retry).
     */
    public void markDown(String name) {
        snapshot.updateAndGet(list -> list.stream()
                .map(b -> b.name().equals(name) && b.healthy()
                        ? new LiveBackend(b.name(), b.url(), b.priority(), b.models(), false) : b)
                .toList());
    }

    void refresh() {
        registry.refresh();
        List<LiveBackend> previous = snapshot.get();
        List<CompletableFuture<LiveBackend>> probes = new ArrayList<>();
        for (Backend b : registry.current().backends()) {
            if (!b.enabled()) {
                continue;
            }
            URI models = b.url().resolve("/v1/models");
            List<String> known = previous.stream().filter(p -> p.name().equals(b.name())).findFirst()
                    .map(LiveBackend::models).orElse(b.models());
            probes.add(http.sendAsync(HttpRequest.newBuilder(models).timeout(timeout).GET().build(),
                            HttpResponse.BodyHandlers.ofString())
                    .thenApply(r -> r.statusCode() == 200
                            ? new LiveBackend(b.name(), b.url(), b.priority(), ids(r.body()), true)
                            : new LiveBackend(b.name(), b.url(), b.priority(), known, false))
                    .exceptionally(e -> new LiveBackend(b.name(), b.url(), b.priority(), known, false)));
        }
        snapshot.set(probes.stream().map(CompletableFuture::join).toList());
    }

    private static List<String> ids(String body) {
        List<String> ids = new ArrayList<>();
        try {
            for (JsonNode m : JSON.readTree(body).path("data")) {
                if (m.hasNonNull("id")) {
                    ids.add(m.get("id").asText());
                }
            }
        } catch (java.io.IOException e) {
            // a garbled list counts as no models
        }
        return ids;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
