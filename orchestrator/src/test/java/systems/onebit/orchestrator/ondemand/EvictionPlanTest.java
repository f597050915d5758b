package systems.onebit.orchestrator.ondemand;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import systems.onebit.orchestrator.ondemand.EvictionPlan.Decision;
import systems.onebit.orchestrator.ondemand.EvictionPlan.Held;

/** Every eviction case the scheduler meets, decided without threads: what is held in, start / wait / refuse out. */
class EvictionPlanTest {

    /** A ready, unpinned, idle model of 10 bytes last used at {@code lastUsed}. */
    private static Held idle(String alias, long lastUsed) {
        return new Held(alias, 10, false, true, 0, lastUsed, false);
    }

    @Test
    void aModelThatFitsStartsWithoutVictims() {
        assertThat(EvictionPlan.decide("c", 10, 30, List.of(idle("a", 1), idle("b", 2))))
                .isEqualTo(new Decision.Start(List.of()));
    }

    @Test
    void theLeastRecentlyUsedGoFirstAndOnlyAsManyAsNeeded() {
        assertThat(EvictionPlan.decide("c", 10, 20, List.of(idle("a", 3), idle("b", 2))))
                .isEqualTo(new Decision.Start(List.of("b")));
        assertThat(EvictionPlan.decide("big", 20, 30, List.of(idle("a", 3), idle("b", 2), idle("c", 1))))
                .isEqualTo(new Decision.Start(List.of("c", "b")));
    }

    @Test
    void idleModelsGoBeforeBusyOnesWhateverTheirAge() {
        Held busy = new Held("busy", 10, false, true, 2, 1, false);
        assertThat(EvictionPlan.decide("c", 10, 20, List.of(busy, idle("recent", 9))))
                .isEqualTo(new Decision.Start(List.of("recent")));
        // Only a busy one can go: it is chosen (the scheduler drains its requests before stopping it).
        assertThat(EvictionPlan.decide("c", 10, 10, List.of(busy))).isEqualTo(new Decision.Start(List.of("busy")));
    }

    @Test
    void pinnedModelsAreNeverEvictedAndAModelThatCannotFitSaysWhy() {
        Held pinned = new Held("p", 10, true, true, 0, 1, false);
        Decision decision = EvictionPlan.decide("x", 10, 10, List.of(pinned));
        assertThat(decision).isInstanceOf(Decision.Refuse.class);
        Decision.Refuse refuse = (Decision.Refuse) decision;
        assertThat(refuse.message()).contains("'x'", "does not fit", "[p]");
        assertThat(refuse.hint()).contains("1bit models unload");
    }

    @Test
    void aModelLargerThanTheWholeBudgetIsRefusedWhateverIsLoaded() {
        Decision decision = EvictionPlan.decide("big", 10, 5, List.of());
        assertThat(decision).isInstanceOf(Decision.Refuse.class);
        assertThat(((Decision.Refuse) decision).message()).contains("needs", "budget");
    }

    @Test
    void modelsStartingOrStoppingMakeItWaitInsteadOfRefusing() {
        Held starting = new Held("s", 10, false, false, 0, 1, false);
        assertThat(EvictionPlan.decide("x", 10, 10, List.of(starting))).isEqualTo(new Decision.Wait());
        // Not counted as a victim either, even when another could be.
        Held pinned = new Held("p", 10, true, true, 0, 1, false);
        assertThat(EvictionPlan.decide("x", 10, 20, List.of(pinned, starting))).isEqualTo(new Decision.Wait());
    }

    @Test
    void aModelThatEarlierRequestsStillWaitForIsNotEvictedForALaterOne() {
        Held awaited = new Held("a", 10, false, true, 0, 1, true);
        assertThat(EvictionPlan.decide("b", 10, 10, List.of(awaited))).isEqualTo(new Decision.Wait());
        assertThat(EvictionPlan.decide("b", 10, 20, List.of(awaited, idle("c", 5))))
                .isEqualTo(new Decision.Start(List.of("c")));
    }
}
