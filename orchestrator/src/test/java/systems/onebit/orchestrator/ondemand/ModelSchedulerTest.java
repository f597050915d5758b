package systems.onebit.orchestrator.ondemand;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.registry.ModelEntry;

/**
 * The scheduler's decisions (budget, eviction order, drain, failures and backoff) with an in-memory runner standing
 * in for containers: these are logic only and need no backend. Real containers: OnDemandIT in the proxy module.
 */
class ModelSchedulerTest {

    /** Stand-in runner: records starts and stops; a start fails for models listed in {@code broken}. */
    static final class StandInRunner implements ModelRunner {
        final List<String> events = new CopyOnWriteArrayList<>();
        final Map<String, Boolean> dead = new ConcurrentHashMap<>();
        final List<String> broken = new CopyOnWriteArrayList<>();
        volatile long startMillis = 20;

        @Override
        public RunningModel start(ModelEntry model, Duration timeout) {
            events.add("start " + model.alias());
            try {
                Thread.sleep(startMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (broken.contains(model.alias())) {
                throw OrchestratorException.precondition("llama-server exited: bad model", "fix it");
            }
            dead.remove(model.alias());
            return new RunningModel(model.alias(), "c-" + model.alias(), URI.create("http://127.0.0.1:1"), Duration.ofMillis(startMillis));
        }

        @Override
        public void stop(RunningModel model) {
            events.add("stop " + model.alias());
        }

        @Override
        public boolean alive(RunningModel model, Duration timeout) {
            return !dead.containsKey(model.alias());
        }

        @Override
        public List<RunningModel> adopt(List<ModelEntry> registered) {
            return List.of();
        }
    }

    private final StandInRunner runner = new StandInRunner();
    private ModelScheduler scheduler;

    private static ModelEntry entry(String alias, boolean pinned) {
        return new ModelEntry(alias, Path.of("/models/" + alias + ".gguf"), 0, "cpu", 1, pinned);
    }

    /** Each model takes 10 bytes; the budget holds {@code room} of them. */
    private ModelScheduler scheduler(int room, Duration ttl, ModelEntry... models) {
        ModelScheduler.Settings settings = ModelScheduler.Settings.defaults(10L * room)
                .withTimes(ttl, Duration.ofSeconds(5), Duration.ofMillis(500), Duration.ofMillis(50));
        scheduler = new ModelScheduler(() -> List.of(models), e -> 10, runner, settings).start();
        return scheduler;
    }

    @AfterEach
    void close() {
        if (scheduler != null) {
            scheduler.close();
        }
    }

    private List<String> loaded() {
        return scheduler.running().stream().map(LoadedModel::alias).toList();
    }

    @Test
    void evictsTheLeastRecentlyUsedUnpinnedModelToMakeRoom() {
        scheduler(2, Duration.ofMinutes(5), entry("a", false), entry("b", false), entry("c", false));
        scheduler.acquire("a", () -> { }).close();
        scheduler.acquire("b", () -> { }).close();
        scheduler.acquire("a", () -> { }).close();  // b is now the least recently used
        scheduler.acquire("c", () -> { }).close();
        assertThat(loaded()).containsExactlyInAnyOrder("a", "c");
        assertThat(runner.events).containsExactly("start a", "start b", "stop b", "start c");
    }

    @Test
    void pinnedModelsAreNeverEvictedAndAModelThatCannotFitSaysWhy() {
        scheduler(1, Duration.ofMinutes(5), entry("p", true), entry("x", false));
        scheduler.acquire("p", () -> { }).close();
        assertThatThrownBy(() -> scheduler.acquire("x", () -> { }))
                .isInstanceOf(OrchestratorException.class)
                .hasMessageContaining("'x'").hasMessageContaining("does not fit").hasMessageContaining("[p]");
        assertThat(loaded()).containsExactly("p");
    }

    @Test
    void aModelLargerThanTheWholeBudgetIsRefusedAtOnce() {
        ModelScheduler.Settings settings = ModelScheduler.Settings.defaults(5);
        scheduler = new ModelScheduler(() -> List.of(entry("big", false)), e -> 10, runner, settings).start();
        assertThatThrownBy(() -> scheduler.acquire("big", () -> { })).hasMessageContaining("needs")
                .hasMessageContaining("budget");
        assertThat(runner.events).isEmpty();
    }

    @Test
    void anEvictionWaitsForTheVictimsRequestsInFlight() throws Exception {
        scheduler(1, Duration.ofMinutes(5), entry("a", false), entry("b", false));
        OnDemandModels.Lease busy = scheduler.acquire("a", () -> { });
        try (var pool = Executors.newSingleThreadExecutor()) {
            Future<?> other = pool.submit(() -> scheduler.acquire("b", () -> { }).close());
            Thread.sleep(200);
            assertThat(runner.events).as("a is not stopped while its request runs").containsExactly("start a");
            busy.close();
            other.get(5, TimeUnit.SECONDS);
        }
        assertThat(runner.events).containsExactly("start a", "stop a", "start b");
    }

    @Test
    void concurrentColdRequestsShareOneStartAndWaitersAreTicked() throws Exception {
        scheduler(1, Duration.ofMinutes(5), entry("a", false));
        runner.startMillis = 300;
        CountDownLatch ticked = new CountDownLatch(1);
        ModelScheduler.Settings settings = ModelScheduler.Settings.defaults(10)
                .withTimes(Duration.ofMinutes(5), Duration.ofSeconds(5), Duration.ofMillis(500), Duration.ofMillis(50))
                .withWaitTick(Duration.ofMillis(50));
        scheduler.close();
        scheduler = new ModelScheduler(() -> List.of(entry("a", false)), e -> 10, runner, settings).start();
        try (var pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> all = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                all.add(pool.submit(() -> scheduler.acquire("a", ticked::countDown).close()));
            }
            for (Future<?> f : all) {
                f.get(5, TimeUnit.SECONDS);
            }
        }
        assertThat(runner.events).containsExactly("start a");
        assertThat(ticked.getCount()).isZero();
    }

    @Test
    void aRequestWaitsAtMostTheStartTimeoutAndTheLoadGoesOnForLaterOnes() throws Exception {
        ModelScheduler.Settings settings = ModelScheduler.Settings.defaults(10)
                .withTimes(Duration.ofMinutes(5), Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofMillis(50));
        runner.startMillis = 600;
        scheduler = new ModelScheduler(() -> List.of(entry("slow", false)), e -> 10, runner, settings).start();
        long begin = System.nanoTime();
        assertThatThrownBy(() -> scheduler.acquire("slow", () -> { }))
                .isInstanceOfSatisfying(OrchestratorException.class,
                        e -> assertThat(e.reason()).isEqualTo(OrchestratorException.Reason.TIMEOUT))
                .hasMessageContaining("'slow' was not ready within");
        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofMillis(500));
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (scheduler.running().stream().noneMatch(m -> m.state().equals("ready")) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        scheduler.acquire("slow", () -> { }).close();
        assertThat(runner.events).containsExactly("start slow");
    }

    @Test
    void aFailedStartIsReportedToItsWaitersAndBackedOff() {
        scheduler(2, Duration.ofMinutes(5), entry("bad", false));
        runner.broken.add("bad");
        assertThatThrownBy(() -> scheduler.acquire("bad", () -> { })).hasMessageContaining("bad model");
        // A request during the backoff is refused with the reason, without another start.
        assertThatThrownBy(() -> scheduler.acquire("bad", () -> { })).hasMessageContaining("bad model")
                .hasMessageContaining("next may begin");
        assertThat(runner.events).containsExactly("start bad");
    }

    @Test
    void idleModelsAreUnloadedAfterTheirTtlAndDeadOnesRestarted() throws Exception {
        ModelEntry shortLived = new ModelEntry("idle", Path.of("/models/idle.gguf"), 0, "cpu", 1, false, 1);
        scheduler(3, Duration.ofMinutes(5), shortLived, entry("crashy", false));
        scheduler.acquire("idle", () -> { }).close();
        scheduler.acquire("crashy", () -> { }).close();
        runner.dead.put("crashy", true);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while ((loaded().contains("idle") || !runner.events.contains("stop crashy")
                || scheduler.running().stream().noneMatch(m -> m.restarts() == 1 && m.state().equals("ready")))
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(loaded()).containsExactly("crashy");
        assertThat(scheduler.running().getFirst().restarts()).isEqualTo(1);
        assertThat(runner.events).containsSubsequence("start crashy", "stop crashy", "start crashy");
        assertThat(scheduler.unload(Optional.of("crashy"))).containsExactly("crashy");
        assertThat(loaded()).isEmpty();
    }
}
