package systems.onebit.orchestrator.ondemand;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.registry.ModelEntry;

/**
 * Starts and stops the models' backends on their own threads and writes the outcome into the {@link ModelSlots}:
 * a load (after its victims are drained and stopped), a failed start with its backoff, an unload that waits for
 * in-flight requests, and backends an earlier proxy left running taken over.
 */
final class ModelLoader {

    private static final System.Logger LOG = System.getLogger(ModelLoader.class.getName());

    private final ModelSlots table;
    private final ModelRunner runner;
    private final ModelScheduler.Settings settings;
    private final ExecutorService jobs;
    private final AtomicLong loads = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();

    ModelLoader(ModelSlots table, ModelRunner runner, ModelScheduler.Settings settings, ExecutorService jobs) {
        this.table = table;
        this.runner = runner;
        this.settings = settings;
        this.jobs = jobs;
    }

    /** Models loaded so far (restarts after a crash not included). */
    long loads() {
        return loads.get();
    }

    /** Models unloaded to make room for another. */
    long evictions() {
        return evictions.get();
    }

    /** Takes over the backends of {@code registered} models that are running already, as READY slots. */
    void adopt(List<ModelEntry> registered, Function<String, Optional<ModelEntry>> find, ToLongFunction<ModelEntry> memory) {
        if (registered.isEmpty()) {
            return;
        }
        try {
            for (RunningModel r : runner.adopt(registered)) {
                ModelEntry entry = find.apply(r.alias()).orElseThrow();
                ModelSlots.Slot slot = new ModelSlots.Slot(entry, memory.applyAsLong(entry));
                slot.state = ModelSlots.State.READY;
                slot.running = Optional.of(r);
                table.locked(() -> table.slots.put(r.alias(), slot));
                LOG.log(System.Logger.Level.INFO, "took over model " + r.alias() + " on " + r.url());
            }
        } catch (OrchestratorException e) {
            LOG.log(System.Logger.Level.WARNING, "could not look for models left running: " + e.oneLine());
        }
    }

    /** On a job thread: drains and stops {@code victims} (already STOPPING), then loads {@code slot}. */
    void startAfter(List<ModelSlots.Slot> victims, ModelSlots.Slot slot) {
        jobs.execute(() -> {
            for (ModelSlots.Slot victim : victims) {
                evictions.incrementAndGet();
                LOG.log(System.Logger.Level.INFO, "unloading " + victim.entry.alias() + " to make room for " + slot.entry.alias());
                drainAndStop(victim);
            }
            load(slot);
        });
    }

    private void load(ModelSlots.Slot slot) {
        String alias = slot.entry.alias();
        try {
            RunningModel running = runner.start(slot.entry, settings.startTimeout());
            boolean keep = table.locked(() -> {
                if (table.slots.get(alias) != slot || slot.state == ModelSlots.State.STOPPING || table.closed) {
                    return false;
                }
                slot.running = Optional.of(running);
                slot.state = ModelSlots.State.READY;
                slot.lastUsed = System.nanoTime();
                table.failures.remove(alias);
                table.changed.signalAll();
                return true;
            });
            loads.incrementAndGet();
            LOG.log(System.Logger.Level.INFO, "loaded " + alias + " on " + running.url() + " in " + running.loadTime().toMillis() + " ms");
            if (!keep) {
                runner.stop(running);
                table.locked(() -> {
                    table.slots.remove(alias, slot);
                    table.changed.signalAll();
                });
            }
        } catch (RuntimeException e) {
            OrchestratorException error = e instanceof OrchestratorException o ? o : new OrchestratorException(
                    OrchestratorException.Reason.ENGINE_ERROR, "model '" + alias + "' did not start: " + e, "see the proxy log", e);
            LOG.log(System.Logger.Level.WARNING, error.oneLine());
            table.locked(() -> {
                ModelSlots.Failure last = table.failures.get(alias);
                int count = last == null ? 1 : last.count() + 1;
                long now = System.nanoTime();
                table.failures.put(alias, new ModelSlots.Failure(error.getMessage(), error.reason(), now,
                        now + ModelSupervisor.backoff(settings, count).toNanos(), count));
                table.slots.remove(alias, slot);
                table.changed.signalAll();
            });
        }
    }

    /** Waits (bounded) for the slot's in-flight requests, then stops its backend and forgets it. */
    void drainAndStop(ModelSlots.Slot slot) {
        table.lock.lock();
        try {
            long end = System.nanoTime() + settings.drainTimeout().toNanos();
            while (slot.inFlight > 0 && System.nanoTime() < end) {
                table.changed.awaitNanos(end - System.nanoTime());
            }
            if (slot.inFlight > 0) {
                LOG.log(System.Logger.Level.WARNING, "unloading " + slot.entry.alias() + " with " + slot.inFlight
                        + " requests still in flight after " + settings.drainTimeout().toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            table.lock.unlock();
        }
        try {
            slot.running.ifPresent(runner::stop);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "stopping " + slot.entry.alias() + " failed: " + e.getMessage());
        } finally {
            table.locked(() -> {
                table.slots.remove(slot.entry.alias(), slot);
                table.changed.signalAll();
            });
        }
    }
}
