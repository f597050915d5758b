package systems.onebit.proxy;

import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.Registry;

/**
 * The key a backend wants (Lemonade with {@code LEMONADE_API_KEY}, llama-server's {@code --api-key}, a remote
 * service): its registry entry names an environment variable ({@code apiKeyEnv}), read here and sent as Bearer. The
 * key is never stored in the registry and never logged; a backend whose variable is unset gets no request at all.
 */
final class BackendKeys {

    /** A backend's variable is not set: nothing may be sent to it. */
    static final class Missing extends Exception {
        Missing(String backend, String variable) {
            super("backend '" + backend + "' needs its API key in $" + variable + ", which is set neither in the "
                    + "proxy's environment nor in its credentials file: store it with `1bit backends key " + backend
                    + "` (or export " + variable + "=… where the proxy starts), then restart the proxy", null, false, false);
        }
    }

    private final Supplier<Registry> registry;
    private final Map<String, String> environment;

    BackendKeys(Supplier<Registry> registry, Map<String, String> environment) {
        this.registry = registry;
        this.environment = Map.copyOf(environment);
    }

    /** The {@code Authorization} value for {@code backend}; empty for one that needs no key (or is not registered). */
    Optional<String> authorization(String backend) throws Missing {
        for (Backend b : registry.get().backends()) {  // a loop, not a stream: this runs for every request
            if (b.name().equals(backend) && !b.apiKeyEnv().isEmpty()) {
                String key = environment.getOrDefault(b.apiKeyEnv(), "");
                if (key.isBlank()) {
                    throw new Missing(backend, b.apiKeyEnv());
                }
                return Optional.of("Bearer " + key);
            }
        }
        return Optional.empty();
    }
}
