package systems.onebit.orchestrator.ondemand;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.gguf.MemoryEstimate;
import systems.onebit.orchestrator.registry.ModelEntry;

/**
 * Loads registered models on demand and keeps as many loaded as the memory budget allows.
 * <ul>
 *   <li>{@link #acquire} returns a lease on a ready backend, starting one if needed; concurrent requests for a cold
 *       model share one start.</li>
 *   <li>A start that would exceed the budget first evicts the models {@link EvictionPlan} picks; an eviction waits
 *       for the model's in-flight requests to finish, up to the drain timeout.</li>
 *   <li>Starts and stops run on the {@link ModelLoader}; TTLs, health checks and restarts are the
 *       {@link ModelSupervisor}'s.</li>
 * </ul>
 * All state is in {@link ModelSlots}, guarded by one lock; starts and stops run on their own threads, so a client
 * that goes away does not cancel a start that other clients wait for.
 */
public final class ModelScheduler implements OnDemandModels {

    private static final System.Logger LOG = System.getLogger(ModelScheduler.class.getName());

    /**
     * @param budgetBytes  memory all loaded models may take together
     * @param overheadBytes per backend, on top of weights and KV cache
     * @param idleTtl      default time a model stays loaded unused
     * @param startTimeout a request waits at most this long for its model (start, eviction and backoff included)
     * @param drainTimeout an eviction waits at most this long for in-flight requests
     * @param checkInterval how often idle TTLs and backend health are checked
     * @param waitTick      how often a waiting request is told it still waits (streaming clients get a keepalive)
     */
    public record Settings(long budgetBytes, long overheadBytes, Duration idleTtl, Duration startTimeout,
                           Duration drainTimeout, Duration checkInterval, Duration waitTick, Duration firstBackoff,
                           Duration maxBackoff, int maxRestarts) {
        public static Settings defaults(long budgetBytes) {
            return new Settings(budgetBytes, MemoryEstimate.DEFAULT_OVERHEAD,
                    Duration.ofMinutes(10), Duration.ofMinutes(3), Duration.ofSeconds(30), Duration.ofSeconds(1),
                    Duration.ofSeconds(5), Duration.ofMillis(500), Duration.ofSeconds(30), 5);
        }

        public Settings withTimes(Duration ttl, Duration start, Duration drain, Duration check) {
            return new Settings(budgetBytes, overheadBytes, ttl, start, drain, check, waitTick, firstBackoff, maxBackoff,
                    maxRestarts);
        }

        public Settings withOverhead(long bytes) {
            return new Settings(budgetBytes, bytes, idleTtl, startTimeout, drainTimeout, checkInterval, waitTick,
                    firstBackoff, maxBackoff, maxRestarts);
        }

        public Settings withWaitTick(Duration tick) {
            return new Settings(budgetBytes, overheadBytes, idleTtl, startTimeout, drainTimeout, checkInterval, tick,
                    firstBackoff, maxBackoff, maxRestarts);
        }
    }

    private final Supplier<List<ModelEntry>> registered;
    private final ToLongFunction<ModelEntry> memory;
    private final ModelRunner runner;
    private final Settings settings;
    private final ModelSlots table = new ModelSlots();
    private final ReentrantLock lock = table.lock;
    private final Condition changed = table.changed;
    private final Map<String, ModelSlots.Slot> slots = table.slots;
    private final Map<String, ModelSlots.Failure> failures = table.failures;
    /** When each waiting request for a model arrived: a model is not evicted for a request that came after them. */
    private final Map<String, List<Long>> waiters = new HashMap<>();
    private final ExecutorService jobs = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().name("1bit-model-job-", 0).factory());
    private final AtomicBoolean starting = new AtomicBoolean();
    private final CountDownLatch started = new CountDownLatch(1);
    private final ScheduledExecutorService checker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("1bit-model-check").factory());
    private final ModelLoader loader;
    private final ModelSupervisor supervisor;
    /** Per-slot contexts clients asked for (Lemonade's load with ctx_size), in place of the registered ones. */
    private final Map<String, Long> contexts = new ConcurrentHashMap<>();

    /**
     * @param registered the registered models, read on every decision (the registry may change while the proxy runs)
     * @param memory     bytes a model takes when loaded
     */
    public ModelScheduler(Supplier<List<ModelEntry>> registered, ToLongFunction<ModelEntry> memory, ModelRunner runner,
                          Settings settings) {
        this.registered = registered;
        this.memory = memory;
        this.runner = runner;
        this.settings = settings;
        this.loader = new ModelLoader(table, runner, settings, jobs);
        this.supervisor = new ModelSupervisor(table, runner, settings, jobs, this::find, loader::drainAndStop);
    }

    /** A scheduler with no models: for a proxy that serves only registered backends. */
    public static ModelScheduler none() {
        ModelRunner refuse = new ModelRunner() {
            @Override
            public RunningModel start(ModelEntry model, Duration timeout) {
                throw OrchestratorException.precondition("on-demand models are off in this proxy", "run `1bit proxy`");
            }

            @Override
            public void stop(RunningModel model) {
            }

            @Override
            public boolean alive(RunningModel model, Duration timeout) {
                return false;
            }

            @Override
            public List<RunningModel> adopt(List<ModelEntry> registered) {
                return List.of();
            }
        };
        return new ModelScheduler(List::of, entry -> 0, refuse, Settings.defaults(0));
    }

    /** The production memory function: the GGUF header's estimate plus the configured overhead. */
    public static ToLongFunction<ModelEntry> estimator(Settings settings) {
        return entry -> ModelMemory.estimate(entry, settings.overheadBytes()).total();
    }

    /**
     * Takes over backends an earlier proxy left running, then checks idle TTLs and health every check interval. Once
     * only (later calls return at once); requests for registered models wait until it has run, so none starts a
     * second backend for a model that is about to be taken over. Call it only once this proxy holds its port: a
     * second proxy that cannot listen must not take the first one's models.
     */
    @Override
    public ModelScheduler start() {
        if (!starting.compareAndSet(false, true)) {
            return this;
        }
        try {
            loader.adopt(registered.get(), this::find, memory);
            long every = settings.checkInterval().toMillis();
            checker.scheduleWithFixedDelay(supervisor::check, every, every, TimeUnit.MILLISECONDS);
        } finally {
            started.countDown();
        }
        return this;
    }

    private void awaitStarted(String alias, long deadline) {
        try {
            if (!started.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new OrchestratorException(OrchestratorException.Reason.TIMEOUT, "model '" + alias
                        + "' cannot load yet: the proxy is still taking over models left running", "retry shortly");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OrchestratorException(OrchestratorException.Reason.PRECONDITION, "the proxy is shutting down",
                    "retry when it is back");
        }
    }

    /** Whether {@code alias} is a registered model (served on demand). */
    public boolean serves(String alias) {
        return find(alias).isPresent();
    }

    @Override
    public List<String> aliases() {
        return registered.get().stream().map(ModelEntry::alias).toList();
    }

    /**
     * Waits until {@code alias} has a ready backend (starting it, after making room, if it has none) and returns a
     * lease on it. {@code waiting} runs every wait tick while the request waits, outside the lock.
     *
     * @throws OrchestratorException NOT_FOUND for an unregistered model, PRECONDITION when it cannot fit or failed
     *                               to start, TIMEOUT after the start timeout
     */
    @Override
    public OnDemandModels.Lease acquire(String alias, Runnable waiting) {
        long begin = System.nanoTime();
        long deadline = begin + settings.startTimeout().toNanos();
        long nextTick = begin + settings.waitTick().toNanos();
        boolean queued = false;
        if (find(alias).isPresent()) {
            awaitStarted(alias, deadline);
        }
        lock.lock();
        try {
            while (true) {
                if (table.closed) {
                    throw new OrchestratorException(OrchestratorException.Reason.PRECONDITION, "the proxy is shutting down",
                            "retry when it is back");
                }
                ModelSlots.Slot slot = slots.get(alias);
                if (slot != null && slot.state == ModelSlots.State.READY && slot.running.isPresent()) {
                    slot.inFlight++;
                    slot.lastUsed = System.nanoTime();
                    RunningModel running = slot.running.get();
                    return new SlotLease(table, slot, running, () -> supervisor.recheck(slot, running));
                }
                if (slot == null) {
                    ModelEntry entry = find(alias).orElseThrow(() -> OrchestratorException.notFound(
                            "model '" + alias + "' is not registered", "see `1bit models list`"));
                    ModelSlots.Failure failure = failures.get(alias);
                    if (failure != null && failure.at() > begin) {
                        // The start this request waited for failed: say why rather than try again at once.
                        throw new OrchestratorException(failure.reason(), failure.message(), "see `1bit models running` and the proxy log");
                    }
                    long now = System.nanoTime();
                    if (failure != null && now < failure.notBefore()) {
                        throw new OrchestratorException(failure.reason(), failure.message() + " (" + failure.count()
                                + " failed tries; the next may begin in " + Math.max(1, (failure.notBefore() - now) / 1_000_000_000L)
                                + " s)", "see the proxy log, fix the model or its flavor, then retry");
                    }
                    planStart(entry, begin);  // may leave nothing changed when it has to wait for memory to be freed
                }
                long now = System.nanoTime();
                if (now >= deadline) {
                    throw new OrchestratorException(OrchestratorException.Reason.TIMEOUT, "model '" + alias
                            + "' was not ready within " + settings.startTimeout().toSeconds() + " s ("
                            + Optional.ofNullable(slots.get(alias)).map(s -> s.state.name().toLowerCase(Locale.ROOT))
                            .orElse("waiting for memory") + ")", "retry, or raise the proxy's --model-start-timeout");
                }
                if (!queued) {
                    queued = true;
                    waiters.computeIfAbsent(alias, a -> new ArrayList<>()).add(begin);
                    // Told at once that it waits for a load (a streaming client gets its first comment now, not
                    // after a tick a fast load may never reach).
                    lock.unlock();
                    try {
                        waiting.run();
                    } finally {
                        lock.lock();
                    }
                    continue;  // the state may have moved meanwhile
                }
                changed.awaitNanos(Math.max(1, Math.min(deadline, nextTick) - now));
                if (System.nanoTime() >= nextTick) {
                    nextTick = System.nanoTime() + settings.waitTick().toNanos();
                    lock.unlock();
                    try {
                        waiting.run();
                    } finally {
                        lock.lock();
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OrchestratorException(OrchestratorException.Reason.TIMEOUT, "interrupted while model '" + alias
                    + "' was loading", "retry");
        } finally {
            if (queued) {
                List<Long> times = waiters.get(alias);
                times.remove(Long.valueOf(begin));
                if (times.isEmpty()) {
                    waiters.remove(alias);
                }
                changed.signalAll();
            }
            lock.unlock();
        }
    }

    /** Whether a request for {@code alias} that arrived before {@code arrival} still waits (first come, first served). */
    private boolean waitedForEarlier(String alias, long arrival) {
        return waiters.getOrDefault(alias, List.of()).stream().anyMatch(t -> t < arrival);
    }

    /** Under the lock: starts {@code entry} now if it fits (after evictions), else leaves it to a later retry. */
    private void planStart(ModelEntry entry, long arrival) {
        long bytes = memory.applyAsLong(entry);
        List<EvictionPlan.Held> held = slots.values().stream().map(s -> new EvictionPlan.Held(s.entry.alias(), s.bytes,
                s.entry.pinned(), s.state == ModelSlots.State.READY, s.inFlight, s.lastUsed, waitedForEarlier(s.entry.alias(), arrival)))
                .toList();
        List<ModelSlots.Slot> victims;
        switch (EvictionPlan.decide(entry.alias(), bytes, settings.budgetBytes(), held)) {
            case EvictionPlan.Decision.Refuse refuse -> throw OrchestratorException.precondition(refuse.message(), refuse.hint());
            case EvictionPlan.Decision.Wait wait -> {
                return;  // models are starting or stopping: decide again when they settle
            }
            case EvictionPlan.Decision.Start start -> victims = start.victims().stream().map(slots::get).toList();
        }
        ModelSlots.Slot slot = new ModelSlots.Slot(entry, bytes);
        slots.put(entry.alias(), slot);
        victims.forEach(v -> v.state = ModelSlots.State.STOPPING);
        changed.signalAll();
        loader.startAfter(victims, slot);
    }

    /** Unloads {@code alias} (or every model when empty), pinned ones included; returns the models unloaded. */
    @Override
    public List<String> unload(Optional<String> alias) {
        List<ModelSlots.Slot> chosen = new ArrayList<>();
        table.locked(() -> {
            if (alias.isPresent() && !slots.containsKey(alias.get())) {
                if (!serves(alias.get())) {
                    throw OrchestratorException.notFound("model '" + alias.get() + "' is not registered", "see `1bit models list`");
                }
                return;
            }
            for (ModelSlots.Slot s : slots.values()) {
                if (alias.map(a -> a.equals(s.entry.alias())).orElse(true) && s.state != ModelSlots.State.STOPPING) {
                    s.state = ModelSlots.State.STOPPING;  // a start in progress sees this and stops what it started
                    chosen.add(s);
                }
            }
            changed.signalAll();
        });
        List<Future<?>> stops = chosen.stream().<Future<?>>map(s -> jobs.submit(() -> loader.drainAndStop(s))).toList();
        for (var f : stops) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (ExecutionException e) {
                LOG.log(System.Logger.Level.WARNING, "unload failed: " + e.getCause());
            }
        }
        return chosen.stream().map(s -> s.entry.alias()).toList();
    }

    /** The models held now, in load order. */
    @Override
    public List<LoadedModel> running() {
        return table.locked(() -> {
            long now = System.nanoTime();
            return slots.values().stream().map(s -> new LoadedModel(s.entry.alias(), s.state.name().toLowerCase(Locale.ROOT),
                    s.running.map(RunningModel::container).orElse(""), s.running.map(r -> r.url().toString()).orElse(""),
                    s.bytes, s.entry.pinned(), s.inFlight, s.inFlight > 0 ? Duration.ZERO : Duration.ofNanos(now - s.lastUsed),
                    s.running.map(RunningModel::loadTime).orElse(Duration.ZERO), s.restarts)).toList();
        });
    }

    /** Models loaded since the proxy started (restarts after a crash not included). */
    @Override
    public long loads() {
        return loader.loads();
    }

    /** Models unloaded to make room for another. */
    @Override
    public long evictions() {
        return loader.evictions();
    }

    @Override
    public long budgetBytes() {
        return settings.budgetBytes();
    }

    public Settings settings() {
        return settings;
    }

    /** The registered model, with the context a client asked for when it asked for more. */
    Optional<ModelEntry> find(String alias) {
        return registered.get().stream().filter(m -> m.alias().equals(alias)).findFirst()
                .map(m -> contexts.containsKey(alias) ? m.withContext(contexts.get(alias)) : m);
    }

    @Override
    public void reload(String alias, long context) {
        ModelEntry before = find(alias).orElseThrow(() -> OrchestratorException.notFound(
                "model '" + alias + "' is not registered", "see `1bit models list`"));
        unload(Optional.of(alias));
        contexts.put(alias, context);
        try {
            load(alias);
        } catch (OrchestratorException e) {
            contexts.put(alias, before.context());  // what it ran with before: it may load again as it was
            throw e;
        }
    }

    /** Unloads every model (their containers are stopped and removed), then stops the background work. */
    @Override
    public void close() {
        checker.shutdownNow();
        unload(Optional.empty());
        table.locked(() -> {
            table.closed = true;
            changed.signalAll();
        });
        jobs.shutdown();
        try {
            jobs.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
