package systems.onebit.orchestrator.engine;

import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The port to a container engine. Every method may throw {@code OrchestratorException} with reason
 * {@code ENGINE_UNAVAILABLE} when the engine stops answering, {@code NOT_FOUND} for an unknown container and
 * {@code CONFLICT} for a name already in use.
 */
public interface ContainerEngine extends AutoCloseable {

    /** Engine and endpoint, e.g. {@code podman socket at unix:///run/podman/podman.sock}. */
    String describe();

    boolean imageExists(String image);

    /**
     * Pulls {@code image}, reporting progress lines; throws {@code PRECONDITION} when it cannot be fetched.
     */
    void pull(String image, Consumer<String> progress);

    /**
     * Builds an image from {@code containerfile} (a file in {@code context}, the folder sent to the engine as the
     * build context) and tags it {@code tag}, reporting the build's output lines; throws {@code PRECONDITION} when a
     * step fails (the message carries the step's error).
     */
    void build(Path context, String containerfile, String tag, Consumer<String> progress);

    ContainerInfo create(ContainerSpec spec);

    /** Starts the container; starting a running container is not an error. */
    void start(String nameOrId);

    /** Sends SIGTERM, waits up to {@code timeout}, then kills; stopping a stopped container is not an error. */
    void stop(String nameOrId, Duration timeout);

    void remove(String nameOrId, boolean force);

    Optional<ContainerInfo> inspect(String nameOrId);

    /** Every container (running or not) carrying all of {@code labels} (an empty value matches any); all if empty. */
    List<ContainerInfo> list(Map<String, String> labels);

    /** Runs {@code command} in the running container, streaming its output; returns its exit code. */
    int exec(String nameOrId, List<String> command, OutputStream out, OutputStream err);

    /**
     * Copies the container's logs into {@code out} and {@code err}; with {@code follow}, until the container stops or
     * the thread is interrupted.
     */
    default void logs(String nameOrId, boolean follow, OutputStream out, OutputStream err) {
        logs(nameOrId, follow, 0, 0, out, err);
    }

    /**
     * As above, only the last {@code tail} lines (0: all) written since {@code sinceEpochSecond} (0: from the start).
     */
    void logs(String nameOrId, boolean follow, int tail, long sinceEpochSecond, OutputStream out, OutputStream err);

    @Override
    void close();
}
