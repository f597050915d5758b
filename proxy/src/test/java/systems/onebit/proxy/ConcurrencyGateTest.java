package systems.onebit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConcurrencyGateTest {

    private final ConcurrencyGate gate = new ConcurrencyGate(1, 8);
    private final List<String> served = new CopyOnWriteArrayList<>();

    /** A request that waits for its turn, records it, and holds the slot until {@code hold} ends. */
    private Thread waiter(String name, Duration hold) throws InterruptedException {
        int before = gate.waiting("b");
        Thread t = Thread.ofVirtual().start(() -> {
            try (ConcurrencyGate.Permit p = gate.enter("b", 0).orElseThrow()) {
                served.add(name);
                Thread.sleep(hold);
            } catch (InterruptedException e) {
                served.add(name + " interrupted");
            }
        });
        awaitWaiting(before + 1);
        return t;
    }

    /** A request to backend b that says the backend has {@code limit} slots and leaves as soon as it is let in. */
    private static Thread passThrough(ConcurrencyGate on, int limit) {
        return Thread.ofVirtual().start(() -> {
            try {
                on.enter("b", limit).orElseThrow().close();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
    }

    private void awaitWaiting(int n) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (gate.waiting("b") != n) {
            assertThat(System.nanoTime()).as("waiting for %d in line, %d are", n, gate.waiting("b")).isLessThan(until);
            Thread.sleep(1);
        }
    }

    @Test
    void requestsBeyondTheLimitRunOneByOneInArrivalOrder() throws Exception {
        ConcurrencyGate.Permit first = gate.enter("b", 0).orElseThrow();
        List<Thread> line = new ArrayList<>();
        for (String name : List.of("a", "b", "c", "d")) {
            line.add(waiter(name, Duration.ofMillis(5)));
        }
        assertThat(gate.inFlight("b")).isEqualTo(1);
        first.close();
        first.close();  // a second close must not free a second slot
        for (Thread t : line) {
            t.join();
        }
        assertThat(served).containsExactly("a", "b", "c", "d");
        assertThat(gate.inFlight("b")).isZero();
        assertThat(gate.waiting("b")).isZero();
    }

    @Test
    void aFullLineTurnsTheNextAwayAndOtherBackendsAreNotAffected() throws Exception {
        ConcurrencyGate small = new ConcurrencyGate(1, 1);
        ConcurrencyGate.Permit held = small.enter("b", 0).orElseThrow();
        Thread waiting = passThrough(small, 0);
        while (small.waiting("b") == 0) {
            Thread.sleep(1);
        }
        assertThat(small.enter("b", 0)).isEmpty();
        Optional<ConcurrencyGate.Permit> other = small.enter("other", 0);
        assertThat(other).isPresent();
        other.get().close();
        held.close();
        waiting.join();
        assertThat(small.inFlight("b")).isZero();
    }

    @Test
    void aLimitThatGrowsLetsTheLineIn() throws Exception {
        ConcurrencyGate.Permit first = gate.enter("b", 0).orElseThrow();
        Thread a = waiter("a", Duration.ofSeconds(30));
        Thread b = waiter("b", Duration.ofSeconds(30));
        // The backend says it has 3 slots: the next request through the gate brings the limit, the two waiting run.
        Thread grower = passThrough(gate, 3);
        awaitWaiting(1);  // a and b let in, the grower waits behind them (3 running)
        assertThat(served).containsExactly("a", "b");
        assertThat(gate.inFlight("b")).isEqualTo(3);
        a.interrupt();
        b.interrupt();
        first.close();
        grower.join();
        a.join();
        b.join();
        assertThat(gate.inFlight("b")).isZero();
    }

    @Test
    void aWaiterThatGivesUpPassesItsTurnOn() throws Exception {
        ConcurrencyGate.Permit first = gate.enter("b", 0).orElseThrow();
        Thread quitter = waiter("quitter", Duration.ZERO);
        Thread next = waiter("next", Duration.ZERO);
        quitter.interrupt();
        quitter.join();
        awaitWaiting(1);
        first.close();
        next.join();
        assertThat(served).containsExactly("quitter interrupted", "next");
        assertThat(gate.inFlight("b")).isZero();
    }
}
