package systems.onebit.proxy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.registry.RegistryStore;

/**
 * The registry as the running proxy sees it: re-read when the file changes (checked by the backend monitor's
 * schedule). A file that does not parse is reported once and the last good registry stays in force; in-flight
 * requests keep the backend they were routed to.
 */
public final class RegistryWatch {

    private static final System.Logger LOG = System.getLogger(RegistryWatch.class.getName());

    private final RegistryStore store;
    private final AtomicReference<Registry> current;
    private volatile String stamp;

    private RegistryWatch(RegistryStore store, Registry initial, String stamp) {
        this.store = store;
        this.current = new AtomicReference<>(initial);
        this.stamp = stamp;
    }

    public static RegistryWatch of(RegistryStore store) {
        return new RegistryWatch(store, store.read(), stamp(store.file()));
    }

    /** A fixed registry (tests, or no file to watch). */
    public static RegistryWatch fixed(Registry registry) {
        return new RegistryWatch(null, registry, "");
    }

    public Registry current() {
        return current.get();
    }

    /** Re-reads the file if it changed; returns whether the registry was replaced. */
    public boolean refresh() {
        if (store == null) {
            return false;
        }
        String now = stamp(store.file());
        if (now.equals(stamp)) {
            return false;
        }
        stamp = now;
        try {
            current.set(store.read());
            LOG.log(System.Logger.Level.INFO, "registry {0} reloaded", store.file());
            return true;
        } catch (OrchestratorException e) {
            LOG.log(System.Logger.Level.WARNING, "registry {0} not reloaded, keeping the last good one: {1}",
                    store.file(), e.oneLine());
            return false;
        }
    }

    private static String stamp(Path file) {
        try {
            return Files.exists(file) ? Files.getLastModifiedTime(file).toMillis() + ":" + Files.size(file) : "absent";
        } catch (IOException e) {
            return "unreadable";
        }
    }
}
