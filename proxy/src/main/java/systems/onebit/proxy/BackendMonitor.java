package systems.onebit.proxy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToIntFunction;
import systems.onebit.orchestrator.probe.KindProbe;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;

/**
 * The registry's enabled backends and whether each is up, as one immutable snapshot a request reads without waiting.
 * <ul>
 *   <li>Live traffic is the first signal: a backend that answers requests is up. One answered request brings a
 *       backend back; a request that could not connect, or whose fresh connection was reset, marks it down at once;
 *       other failures (timeouts, garbage) only after {@code failureThreshold} in a row.</li>
 *   <li>Probes in the background, every interval, on the kind's own paths (toolbox llama-server: {@code /health},
 *       where 503 means loading; then the model list), also re-read the registry when its file changed. A probe that
 *       times out while requests are running on the backend, or soon after one was answered, says busy, not dead.</li>
 *   <li>A backend's slot count is read from llama-server's {@code /props} ({@code total_slots}) when it comes up.</li>
 * </ul>
 * A backend that is down keeps its last-known models, so its requests wait for it instead of being refused as unknown.
 */
final class BackendMonitor implements Backends, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(BackendMonitor.class.getName());

    /**
     * @param probeTimeout     a probe's connect and answer timeout
     * @param failureThreshold failed requests in a row (timeouts, broken answers) that mark a backend down
     */
    public record Settings(Duration probeInterval, Duration probeTimeout, int failureThreshold) {
    }

    private enum Probe { UP, LOADING, BUSY, DOWN }

    /** What is known of one backend between snapshots; guarded by its own monitor. */
    private static final class Health {
        boolean up;
        List<String> models;
        int slots;
        int context;
        boolean propsRead;
        int failures;
        long lastAnswer;
        long lastProbe;
        String why = "not probed yet";

        Health(List<String> models) {
            this.models = models;
        }
    }

    private final RegistryWatch registry;
    private final UpstreamClient http;
    private final Settings settings;
    private final ToIntFunction<String> inFlight;
    private final BackendKeys keys;
    private final Map<String, Health> health = new ConcurrentHashMap<>();
    private final AtomicReference<List<LiveBackend>> snapshot = new AtomicReference<>(List.of());
    private final Object changes = new Object();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("1bit-backend-probe").factory());

    BackendMonitor(RegistryWatch registry, UpstreamClient http, Settings settings, ToIntFunction<String> inFlight,
                   BackendKeys keys) {
        this.registry = registry;
        this.http = http;
        this.settings = settings;
        this.inFlight = inFlight;
        this.keys = keys;
    }

    /** Probes once (bounded by the probe timeout), then every interval in the background. */
    BackendMonitor start() {
        refresh();
        long every = settings.probeInterval().toMillis();
        scheduler.scheduleWithFixedDelay(this::refresh, every, every, TimeUnit.MILLISECONDS);
        return this;
    }

    @Override
    public List<LiveBackend> snapshot() {
        return snapshot.get();
    }

    @Override
    public String why(String name) {
        Health h = health.get(name);
        if (h == null) {
            return "";
        }
        synchronized (h) {
            return h.up ? "" : h.why;
        }
    }

    @Override
    public void answered(String name) {
        Health h = health.get(name);
        if (h == null) {
            return;
        }
        boolean changed;
        synchronized (h) {
            h.lastAnswer = System.nanoTime();
            h.failures = 0;
            changed = !h.up;
            h.up = true;
        }
        if (changed) {
            LOG.log(System.Logger.Level.INFO, "backend {0} answers again", name);
            publish();
        }
    }

    /** Down at once when nothing could connect, else after the threshold of failures in a row. */
    @Override
    public void failed(String name, UpstreamException.Kind kind, String message) {
        Health h = health.get(name);
        if (h == null) {
            return;
        }
        boolean changed = false;
        synchronized (h) {
            h.failures++;
            if (h.up && (kind.dead() || h.failures >= settings.failureThreshold())) {
                h.up = false;
                h.why = message;
                changed = true;
            }
        }
        if (changed) {
            LOG.log(System.Logger.Level.WARNING, "backend {0} marked down: {1}", name, message);
            publish();
        }
    }

    /** Probes {@code name} meanwhile, at most every quarter second: sooner than the next round. */
    @Override
    public void awaitChange(String name, long deadline) throws InterruptedException {
        List<LiveBackend> before = snapshot.get();
        Health h = health.get(name);
        Backend entry = registry.current().backends().stream().filter(b -> b.name().equals(name)).findFirst().orElse(null);
        while (snapshot.get() == before) {
            long now = System.nanoTime();
            if (now >= deadline) {
                return;
            }
            if (h != null && entry != null && claimProbe(h, now, Duration.ofMillis(250))) {
                apply(entry, h, probe(entry, h));
                continue;
            }
            synchronized (changes) {
                if (snapshot.get() == before) {
                    changes.wait(Math.max(1, Math.min(250, (deadline - now) / 1_000_000)));
                }
            }
        }
    }

    private static boolean claimProbe(Health h, long now, Duration every) {
        synchronized (h) {
            if (now - h.lastProbe < every.toNanos()) {
                return false;
            }
            h.lastProbe = now;
            return true;
        }
    }

    void refresh() {
        try {
            registry.refresh();
            List<Backend> enabled = registry.current().backends().stream().filter(Backend::enabled).toList();
            health.keySet().retainAll(enabled.stream().map(Backend::name).toList());
            try (var probes = Executors.newVirtualThreadPerTaskExecutor()) {  // closing waits for every probe
                for (Backend b : enabled) {
                    Health h = health.computeIfAbsent(b.name(), n -> new Health(b.models()));
                    synchronized (h) {
                        h.lastProbe = System.nanoTime();
                    }
                    probes.execute(() -> apply(b, h, probe(b, h)));
                }
            }
            publish();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "probing the backends failed: " + e);
        }
    }

    private void apply(Backend b, Health h, Observation seen) {
        boolean changed;
        synchronized (h) {
            boolean wasUp = h.up;
            switch (seen.result()) {
                case UP -> {
                    h.up = true;
                    h.failures = 0;
                    h.models = seen.models();
                    if (seen.props().isPresent()) {
                        h.slots = seen.props().get().slots();
                        h.context = seen.props().get().context();
                        h.propsRead = true;
                    }
                }
                case BUSY -> {
                    // answered recently or serving requests now: the probe waited behind busy slots
                }
                case LOADING, DOWN -> {
                    h.up = false;
                    h.propsRead = false;  // a backend that comes back may be another build, with other slots
                    h.why = seen.why();
                }
            }
            changed = wasUp != h.up || seen.result() == Probe.UP;
        }
        if (changed) {
            publish();
        }
    }

    /** @param props what the backend said of itself, when it was asked this time */
    private record Observation(Probe result, List<String> models, Optional<KindProbe.Props> props, String why) {
        static Observation down(String why) {
            return new Observation(Probe.DOWN, List.of(), Optional.empty(), why);
        }
    }

    private Observation probe(Backend b, Health h) {
        List<Map.Entry<String, String>> headers;
        try {
            headers = keys.authorization(b.name()).map(a -> List.of(Map.entry("Authorization", a))).orElse(List.of());
        } catch (BackendKeys.Missing e) {
            return Observation.down(e.getMessage());  // no request without the key it wants
        }
        KindProbe kinds = new KindProbe(target -> {
            try (UpstreamResponse r = http.send(new UpstreamClient.Request("GET", target, headers, new byte[0]),
                    settings.probeTimeout())) {
                return new KindProbe.Answer(r.status(), r.body().readAllBytes());
            }
        });
        boolean knowsSlots;
        synchronized (h) {
            knowsSlots = h.propsRead && h.up;
        }
        try {
            return switch (kinds.probe(b, !knowsSlots)) {
                case KindProbe.Up up -> new Observation(Probe.UP, b.kind() == BackendKind.PEER ? peerModels(b.name(), up.models())
                        : up.models(), up.props(), "");
                case KindProbe.Loading loading -> new Observation(Probe.LOADING, List.of(), Optional.empty(), loading.why());
                case KindProbe.Down down -> Observation.down(down.why());
            };
        } catch (UpstreamException e) {
            if (e.kind() == UpstreamException.Kind.TIMEOUT && busy(b.name(), h)) {
                return new Observation(Probe.BUSY, List.of(), Optional.empty(), "");
            }
            return Observation.down(e.getMessage());
        } catch (IOException e) {
            return Observation.down("its answer broke off: " + e.getMessage());
        }
    }

    /** A peer's models join the union as {@code PEER/model}, and under their bare ids where nothing nearer serves them. */
    private static List<String> peerModels(String peer, List<String> models) {
        List<String> out = new ArrayList<>();
        models.forEach(m -> out.add(peer + "/" + m));
        out.addAll(models);
        return out;
    }

    private boolean busy(String name, Health h) {
        long recent;
        synchronized (h) {
            recent = h.lastAnswer;
        }
        return inFlight.applyAsInt(name) > 0
                || (recent != 0 && System.nanoTime() - recent < 2 * settings.probeInterval().toNanos());
    }

    private void publish() {
        List<LiveBackend> list = new ArrayList<>();
        for (Backend b : registry.current().backends()) {
            Health h = health.get(b.name());
            if (!b.enabled() || h == null) {
                continue;
            }
            synchronized (h) {
                list.add(new LiveBackend(b.name(), b.url(), b.kind(), b.priority(), h.models, h.up, h.slots, h.context));
            }
        }
        snapshot.set(Router.ordered(List.copyOf(list)));  // in routing order, so requests need not sort it
        synchronized (changes) {
            changes.notifyAll();
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
