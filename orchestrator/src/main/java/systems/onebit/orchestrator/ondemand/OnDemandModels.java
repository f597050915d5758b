package systems.onebit.orchestrator.ondemand;

import java.util.List;
import java.util.Optional;

/**
 * Registered models loaded when a request asks for one: what the proxy sees of the {@link ModelScheduler}. The proxy
 * only asks for a backend ({@link #acquire}) and forwards to it like to any other.
 */
public interface OnDemandModels extends AutoCloseable {

    /** A request's hold on a ready backend: close it when the response is done. */
    interface Lease extends AutoCloseable {
        RunningModel backend();

        /** Requests the backend serves at once (its llama-server slots). */
        int slots();

        /**
         * The request failed before it sent anything to its client: the backend is checked at once, and a dead one is
         * restarted, so that a retried {@link #acquire} waits for the new one.
         */
        void failed();

        @Override
        void close();
    }

    List<String> aliases();

    /**
     * Waits until {@code alias} has a ready backend (starting it, after making room, if it has none) and returns a
     * lease on it; {@code waiting} runs every wait tick while the request waits.
     *
     * @throws systems.onebit.orchestrator.OrchestratorException NOT_FOUND for an unregistered model, PRECONDITION when
     *         it cannot fit or failed to start, TIMEOUT after the start timeout
     */
    Lease acquire(String alias, Runnable waiting);

    /** Loads {@code alias} now if it is not loaded (as a request for it would), and returns once it is ready. */
    default void load(String alias) {
        acquire(alias, () -> { }).close();
    }

    /**
     * Loads {@code alias} with a per-slot context of {@code context} tokens from now on: unloads it first when it is
     * loaded (after its requests), then starts it again. A model that does not fit with that context keeps its old one.
     */
    void reload(String alias, long context);

    /** Unloads {@code alias} (or every model when empty), pinned ones included; returns the models unloaded. */
    List<String> unload(Optional<String> alias);

    /** The models held now, in load order. */
    List<LoadedModel> running();

    long budgetBytes();

    /** Models loaded since the proxy started. */
    long loads();

    /** Models unloaded to make room for another. */
    long evictions();

    /** Takes over models left running and starts the background checks; called once the proxy holds its port. */
    OnDemandModels start();

    @Override
    void close();
}
