package systems.onebit.proxy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The routing decision as a pure function: the request's model and the live backends decide the target. Ties
 * between backends that list the same model go to the lower registry priority, then the name. An unknown model
 * is never sent anywhere else.
 */
public final class Router {

    private Router() {
    }

    /** Where a request goes. */
    public sealed interface Decision {
        /** Forward to {@code backend}, asking it for {@code model} (the alias resolved). */
        record Forward(LiveBackend backend, String model) implements Decision {
        }

        /** No backend lists the model: 404 with the available models. */
        record UnknownModel(String model, List<String> available) implements Decision {
        }

        /** A registered model that no live backend serves: load it on demand, then forward. */
        record Load(String model) implements Decision {
        }

        /** The model's backends (or every backend) are down: wait for {@code backend} to come back (bounded), then 503. */
        record Unavailable(String message, String backend) implements Decision {
        }
    }

    private static final Comparator<LiveBackend> ORDER = Comparator.comparingInt(LiveBackend::priority)
            .thenComparing(LiveBackend::name);

    public static List<LiveBackend> ordered(List<LiveBackend> backends) {
        for (int i = 1; i < backends.size(); i++) {
            if (ORDER.compare(backends.get(i - 1), backends.get(i)) > 0) {
                return backends.stream().sorted(ORDER).toList();
            }
        }
        return backends;  // the monitor's snapshot is kept in this order: no copy per request
    }

    /** The union of the healthy backends' models, in routing order, each id once. */
    public static List<String> available(List<LiveBackend> backends) {
        Set<String> ids = new LinkedHashSet<>();
        ordered(backends).stream().filter(LiveBackend::healthy).forEach(b -> ids.addAll(b.models()));
        return List.copyOf(ids);
    }

    public static Decision route(Optional<String> requested, List<LiveBackend> backends, Map<String, String> aliases,
                                 String defaultBackend) {
        return route(requested, backends, aliases, defaultBackend, Set.of());
    }

    /**
     * @param onDemand registered models the proxy loads when asked for: used when no live backend serves the model
     */
    public static Decision route(Optional<String> requested, List<LiveBackend> backends, Map<String, String> aliases,
                                 String defaultBackend, Set<String> onDemand) {
        List<LiveBackend> ordered = ordered(backends);
        if (requested.isEmpty() || requested.get().isBlank()) {
            Optional<LiveBackend> target = ordered.stream()
                    .filter(b -> b.name().equals(defaultBackend) && b.healthy()).findFirst()
                    .or(() -> ordered.stream().filter(LiveBackend::healthy).findFirst());
            return target.<Decision>map(b -> new Decision.Forward(b, b.models().isEmpty() ? "" : b.models().getFirst()))
                    .orElse(new Decision.Unavailable("no backend is up to serve a request that names no model",
                            ordered.stream().filter(b -> b.name().equals(defaultBackend)).findFirst()
                                    .or(() -> ordered.stream().findFirst()).map(LiveBackend::name).orElse("")));
        }
        String model = aliases.getOrDefault(requested.get(), requested.get());
        Optional<LiveBackend> healthy = ordered.stream()
                .filter(b -> b.healthy() && b.models().contains(model)).findFirst();
        if (healthy.isPresent()) {
            return new Decision.Forward(healthy.get(), model);
        }
        if (onDemand.contains(model)) {
            return new Decision.Load(model);
        }
        Optional<LiveBackend> down = ordered.stream().filter(b -> b.models().contains(model)).findFirst();
        if (down.isPresent()) {
            return new Decision.Unavailable("the backend serving model '" + model + "' is down", down.get().name());
        }
        List<String> available = new ArrayList<>(available(backends));
        onDemand.stream().sorted().filter(m -> !available.contains(m)).forEach(available::add);
        return new Decision.UnknownModel(requested.get(), available);
    }
}
