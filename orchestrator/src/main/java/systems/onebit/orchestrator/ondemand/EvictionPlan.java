package systems.onebit.orchestrator.ondemand;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Whether a model can start within the memory budget, and which loaded models must go first: a pure function of
 * what is held now, so every case is testable without threads or containers.
 * <ul>
 *   <li>Least recently used go first, idle ones before busy ones; never a pinned model, never one that is not ready
 *       (starting, restarting, stopping), never one that requests which arrived earlier still wait for.</li>
 *   <li>When not enough can be freed now but models are starting or stopping, or earlier requests will release one,
 *       the start waits and is decided again; otherwise it is refused with the reason.</li>
 * </ul>
 */
public final class EvictionPlan {

    private EvictionPlan() {
    }

    /**
     * A model held now, as the decision sees it.
     *
     * @param ready            loaded and serving (not starting, restarting or stopping)
     * @param lastUsed         System.nanoTime of its last request's end
     * @param awaitedByEarlier requests that arrived before the one deciding still wait for it
     */
    public record Held(String alias, long bytes, boolean pinned, boolean ready, int inFlight, long lastUsed,
                       boolean awaitedByEarlier) {
        boolean evictable() {
            return ready && !pinned;
        }
    }

    /** What to do about a model that is not loaded. */
    public sealed interface Decision {
        /** Unload {@code victims} (in this order), then start. */
        record Start(List<String> victims) implements Decision {
            public Start {
                victims = List.copyOf(victims);
            }
        }

        /** Not enough can be freed yet, but models are changing: decide again when they settle. */
        record Wait() implements Decision {
        }

        /** It cannot fit: the reason and what to do. */
        record Refuse(String message, String hint) implements Decision {
        }
    }

    public static Decision decide(String alias, long bytes, long budget, List<Held> held) {
        if (bytes > budget) {
            return new Decision.Refuse("model '" + alias + "' needs " + gib(bytes) + " but the memory budget is " + gib(budget),
                    "raise the proxy's --memory-budget, or register the model with a smaller --ctx or fewer --parallel slots");
        }
        long used = held.stream().mapToLong(Held::bytes).sum();
        long missing = used + bytes - budget;
        if (missing <= 0) {
            return new Decision.Start(List.of());
        }
        List<Held> candidates = held.stream().filter(Held::evictable).filter(h -> !h.awaitedByEarlier())
                .sorted(Comparator.<Held>comparingInt(h -> h.inFlight() > 0 ? 1 : 0).thenComparingLong(Held::lastUsed))
                .toList();
        List<String> victims = new ArrayList<>();
        long freed = 0;
        for (Held c : candidates) {
            if (freed >= missing) {
                break;
            }
            victims.add(c.alias());
            freed += c.bytes();
        }
        if (freed >= missing) {
            return new Decision.Start(victims);
        }
        if (held.stream().anyMatch(h -> !h.ready() || (h.evictable() && h.awaitedByEarlier()))) {
            return new Decision.Wait();
        }
        return new Decision.Refuse("model '" + alias + "' (" + gib(bytes) + ") does not fit: " + gib(used) + " of the "
                + gib(budget) + " budget is held by pinned models " + held.stream().filter(Held::pinned).map(Held::alias).toList(),
                "unload one with `1bit models unload MODEL`, or raise --memory-budget");
    }

    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }
}
