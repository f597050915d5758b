package systems.onebit.orchestrator.ondemand;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import java.util.function.Function;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.registry.ModelEntry;

/**
 * Keeps the loaded models healthy: unloads those idle past their TTL or changed in the registry, checks every ready
 * backend, and restarts a dead one with exponential backoff while its requests wait, up to {@code maxRestarts}.
 */
final class ModelSupervisor {

    private static final System.Logger LOG = System.getLogger(ModelSupervisor.class.getName());

    private final ModelSlots table;
    private final ModelRunner runner;
    private final ModelScheduler.Settings settings;
    private final ExecutorService jobs;
    private final Function<String, Optional<ModelEntry>> find;
    private final Consumer<ModelSlots.Slot> unload;

    /**
     * @param find   a registered model by alias, as the registry says now
     * @param unload drains a slot's requests and stops its backend (the scheduler's)
     */
    ModelSupervisor(ModelSlots table, ModelRunner runner, ModelScheduler.Settings settings, ExecutorService jobs,
                    Function<String, Optional<ModelEntry>> find, Consumer<ModelSlots.Slot> unload) {
        this.table = table;
        this.runner = runner;
        this.settings = settings;
        this.jobs = jobs;
        this.find = find;
        this.unload = unload;
    }

    /** The wait before try {@code failuresInARow + 1}: the first backoff doubled each time, capped. */
    static Duration backoff(ModelScheduler.Settings settings, int failuresInARow) {
        long millis = settings.firstBackoff().toMillis() << Math.min(20, failuresInARow - 1);
        return Duration.ofMillis(Math.min(millis, settings.maxBackoff().toMillis()));
    }

    /** Checks {@code running} now, and restarts it when it is dead. */
    void recheck(ModelSlots.Slot slot, RunningModel running) {
        if (!runner.alive(running, Duration.ofSeconds(2))) {
            crashed(slot, running);
        }
    }

    /** A ready backend was found dead: restart it with backoff while requests wait, or give up after maxRestarts. */
    void crashed(ModelSlots.Slot slot, RunningModel dead) {
        boolean restart = table.locked(() -> {
            if (slot.state != ModelSlots.State.READY || slot.running.orElse(null) != dead || table.slots.get(slot.entry.alias()) != slot) {
                return false;  // someone else already noticed
            }
            slot.state = ModelSlots.State.RESTARTING;
            slot.running = Optional.empty();
            slot.restarts++;
            table.changed.signalAll();
            return true;
        });
        if (!restart) {
            return;
        }
        LOG.log(System.Logger.Level.WARNING, "model " + slot.entry.alias() + " died on " + dead.url() + "; restarting (try "
                + slot.restarts + ")");
        jobs.execute(() -> {
            try {
                runner.stop(dead);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "cleaning up the dead backend: " + e.getMessage());
            }
            int attempt = 0;
            while (true) {
                attempt++;
                try {
                    Thread.sleep(backoff(settings, attempt).toMillis());
                    RunningModel running = runner.start(slot.entry, settings.startTimeout());
                    boolean keep = table.locked(() -> {
                        if (table.slots.get(slot.entry.alias()) != slot || slot.state != ModelSlots.State.RESTARTING || table.closed) {
                            return false;
                        }
                        slot.running = Optional.of(running);
                        slot.state = ModelSlots.State.READY;
                        table.changed.signalAll();
                        return true;
                    });
                    if (!keep) {
                        runner.stop(running);
                    }
                    LOG.log(System.Logger.Level.INFO, "restarted " + slot.entry.alias() + " on " + running.url());
                    return;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "restarting " + slot.entry.alias() + " failed: " + e.getMessage());
                    if (attempt >= settings.maxRestarts()) {
                        int tries = attempt;
                        table.locked(() -> {
                            long now = System.nanoTime();
                            table.failures.put(slot.entry.alias(), new ModelSlots.Failure("model '" + slot.entry.alias() + "' crashed and did not restart after "
                                    + tries + " tries: " + e.getMessage(), OrchestratorException.Reason.PRECONDITION, now,
                                    now + settings.maxBackoff().toNanos(), tries));
                            table.slots.remove(slot.entry.alias(), slot);
                            table.changed.signalAll();
                        });
                        return;
                    }
                }
            }
        });
    }


    /** Idle TTLs, models removed or changed in the registry, and the health of every ready backend. */
    void check() {
        try {
            List<ModelSlots.Slot> idle = new ArrayList<>();
            List<ModelSlots.Slot> ready = new ArrayList<>();
            table.locked(() -> {
                long now = System.nanoTime();
                for (ModelSlots.Slot s : table.slots.values()) {
                    if (s.state != ModelSlots.State.READY) {
                        continue;
                    }
                    Optional<ModelEntry> current = find.apply(s.entry.alias());
                    boolean stale = current.isEmpty() || !current.get().sameLaunch(s.entry);
                    long ttl = s.entry.idleTtlSeconds() > 0 ? s.entry.idleTtlSeconds() * 1_000_000_000L : settings.idleTtl().toNanos();
                    if (stale || (!s.entry.pinned() && s.inFlight == 0 && now - s.lastUsed > ttl)) {
                        s.state = ModelSlots.State.STOPPING;
                        idle.add(s);
                    } else {
                        ready.add(s);
                    }
                }
                table.changed.signalAll();
            });
            for (ModelSlots.Slot s : idle) {
                LOG.log(System.Logger.Level.INFO, "unloading " + s.entry.alias() + " (idle, or changed in the registry)");
                jobs.execute(() -> unload.accept(s));
            }
            for (ModelSlots.Slot s : ready) {
                s.running.ifPresent(r -> recheck(s, r));
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "model check failed: " + e);
        }
    }
}
