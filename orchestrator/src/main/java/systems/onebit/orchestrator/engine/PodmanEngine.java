package systems.onebit.orchestrator.engine;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.BuildResponseItem;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Device;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PullResponseItem;
import com.github.dockerjava.api.model.StreamType;
import com.github.dockerjava.api.model.Ulimit;
import com.github.dockerjava.api.model.Volume;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.OrchestratorException.Reason;

/** The {@link ContainerEngine} adapter for Podman's Docker-compatible REST socket, through docker-java. */
public final class PodmanEngine implements ContainerEngine {

    /** How long a followed log stream may still deliver once its container has stopped running. */
    private static final Duration FOLLOW_DRAIN = Duration.ofSeconds(2);

    private final URI endpoint;
    private final DockerClient client;
    private final Runnable onClose;
    private final boolean privateService;

    private PodmanEngine(URI endpoint, DockerClient client, Runnable onClose, boolean privateService) {
        this.endpoint = endpoint;
        this.client = client;
        this.onClose = onClose;
        this.privateService = privateService;
    }

    /**
     * Connects to {@code endpoint} ({@code unix:///path} or {@code tcp://host:port}) and checks that it answers
     * within {@code timeout}.
     */
    public static PodmanEngine connect(URI endpoint, Duration timeout) {
        return connect(endpoint, timeout, () -> { }, false);
    }

    static PodmanEngine connect(URI endpoint, Duration timeout, Runnable onClose, boolean privateService) {
        DockerClient client = client(endpoint);
        try {
            // _ping, not /version: Podman takes about a second to answer /version. The ping gets its own
            // deadline so a wedged service cannot hang the command.
            java.util.concurrent.CompletableFuture.runAsync(() -> client.pingCmd().exec())
                    .get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            return new PodmanEngine(endpoint, client, onClose, privateService);
        } catch (java.util.concurrent.ExecutionException e) {
            closeQuietly(client);
            throw unavailable(endpoint, e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            closeQuietly(client);
            throw unavailable(endpoint, new IOException("no answer within " + timeout.toMillis() + " ms"));
        } catch (InterruptedException e) {
            closeQuietly(client);
            Thread.currentThread().interrupt();
            throw unavailable(endpoint, e);
        }
    }

    private static DockerClient client(URI endpoint) {
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(endpoint.toString())
                .withDockerTlsVerify(false)
                .build();
        ApacheDockerHttpClient.Builder http = new ApacheDockerHttpClient.Builder()
                .dockerHost(endpoint)
                .maxConnections(16)
                .connectionTimeout(Duration.ofSeconds(3));
        return DockerClientImpl.getInstance(config, http.build());
    }

    @Override
    public String describe() {
        return "podman socket at " + endpoint;
    }

    public URI endpoint() {
        return endpoint;
    }

    /** True when 1bit started this Podman service itself (no socket answered) and stops it on close. */
    public boolean isPrivateService() {
        return privateService;
    }

    @Override
    public boolean imageExists(String image) {
        return call(() -> {
            try {
                client.inspectImageCmd(image).exec();
                return true;
            } catch (NotFoundException e) {
                return false;
            }
        });
    }

    @Override
    public void pull(String image, Consumer<String> progress) {
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        String repository = colon > slash ? image.substring(0, colon) : image;
        String tag = colon > slash ? image.substring(colon + 1) : "latest";
        String fix = "check the network and the image name, or pull it yourself with `podman pull " + image + "`";
        imageOperation(image, "cannot pull image " + image, "the image is still missing afterwards", fix, error ->
                // Podman's error items carry no status, which docker-java's PullImageResultCallback cannot handle.
                client.pullImageCmd(repository).withTag(tag).exec(new ResultCallback.Adapter<PullResponseItem>() {
                    private String last = "";

                    @Override
                    public void onNext(PullResponseItem item) {
                        if (item.getErrorDetail() != null || item.getError() != null) {
                            String message = item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null
                                    ? item.getErrorDetail().getMessage() : String.valueOf(item.getError());
                            if (error.isEmpty()) {
                                error.append(message);
                            }
                            return;
                        }
                        String status = item.getStatus() == null ? "" : item.getStatus()
                                + (item.getId() == null ? "" : " " + item.getId());
                        if (!status.isEmpty() && !status.equals(last)) {
                            last = status;
                            progress.accept(status);
                        }
                    }
                }).awaitCompletion());
    }

    @Override
    public void build(Path context, String containerfile, String tag, Consumer<String> progress) {
        String fix = "read the build's output above, then fix the Containerfile or what it fetches";
        if (!Files.isRegularFile(context.resolve(containerfile))) {
            throw OrchestratorException.precondition("building " + tag + " failed (no " + containerfile + " in "
                    + context + ")", fix);
        }
        imageOperation(tag, "building " + tag + " failed", "no image was tagged", fix, error -> client.buildImageCmd()
                .withBaseDirectory(context.toFile()).withDockerfile(context.resolve(containerfile).toFile())
                .withTags(Set.of(tag)).exec(new ResultCallback.Adapter<BuildResponseItem>() {
                    @Override
                    public void onNext(BuildResponseItem item) {
                        if (item.isErrorIndicated()) {
                            error.append(item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null
                                    ? item.getErrorDetail().getMessage() : item.getError());
                        } else if (item.getStream() != null && !item.getStream().isBlank()) {
                            item.getStream().lines().filter(l -> !l.isBlank()).forEach(progress);
                        }
                    }
                }).awaitCompletion());
    }

    /** A streamed image operation (pull, build), given where to put the error its stream reports. */
    private interface Streamed {
        void run(StringBuilder error) throws InterruptedException;
    }

    /** Runs {@code operation} to its end; it failed when it reported an error or {@code image} is not there after it. */
    private void imageOperation(String image, String failed, String missing, String fix, Streamed operation) {
        StringBuilder error = new StringBuilder();
        call(() -> {
            try {
                operation.run(error);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw OrchestratorException.precondition(failed + " (interrupted)", "run the command again");
            } catch (DockerException e) {
                throw OrchestratorException.precondition(failed + " (" + firstLine(e.getMessage()) + ")", fix);
            }
            return null;
        });
        if (!error.isEmpty() || !imageExists(image)) {
            throw OrchestratorException.precondition(failed + " (" + (error.isEmpty() ? missing : firstLine(error.toString()))
                    + ")", fix);
        }
    }

    @Override
    public ContainerInfo create(ContainerSpec spec) {
        return call(() -> {
            HostConfig host = HostConfig.newHostConfig()
                    .withInit(true)
                    .withDevices(spec.devices().stream()
                            .map(d -> new Device("rwm", d.containerPath(), d.hostPath())).toList())
                    .withGroupAdd(spec.groups().stream().filter(g -> !g.equals(ContainerSpec.KEEP_GROUPS)).toList())
                    .withSecurityOpts(spec.securityOpt())
                    .withUlimits(spec.ulimits().stream().map(u -> new Ulimit(u.name(), u.soft(), u.hard())).toList())
                    .withBinds(java.util.stream.Stream.concat(
                            spec.mounts().stream().map(m -> new Bind(m.hostPath(), new Volume(m.containerPath()), AccessMode.ro)),
                            spec.volumes().stream().map(v -> new Bind(v.name(), new Volume(v.containerPath()), AccessMode.rw)))
                            .toList());
            if (spec.hostNetwork()) {
                host.withNetworkMode("host");
            }
            if (spec.groups().contains(ContainerSpec.KEEP_GROUPS)) {
                // What `podman run --group-add keep-groups` sends (its CLI refuses the flag for remote use; the API
                // takes the annotation): crun then leaves the caller's supplementary groups in the container.
                host.withAnnotations(Map.of("run.oci.keep_original_groups", "1"));
            }
            try {
                var create = client.createContainerCmd(spec.image())
                        .withName(spec.name())
                        .withEnv(spec.environment().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
                        .withLabels(spec.labels())
                        .withHostConfig(host);
                if (!spec.entrypoint().isEmpty()) {
                    create.withEntrypoint(spec.entrypoint()).withCmd(List.of());  // else the image's own command
                }
                CreateContainerResponse created = create.exec();
                return inspect(created.getId()).orElseThrow(() -> new OrchestratorException(Reason.ENGINE_ERROR,
                        "container " + spec.name() + " vanished right after it was created", "run the command again"));
            } catch (ConflictException e) {
                throw nameInUse(spec.name());
            } catch (NotFoundException e) {
                throw OrchestratorException.precondition("image " + spec.image() + " is not on this host",
                        "pull it with `podman pull " + spec.image() + "`");
            } catch (DockerException e) {
                // Podman's compat API answers 500 (not 409) for a name in use.
                if (String.valueOf(e.getMessage()).contains("already in use")) {
                    throw nameInUse(spec.name());
                }
                throw e;
            }
        });
    }

    private static OrchestratorException nameInUse(String name) {
        return OrchestratorException.conflict("a container named '" + name + "' already exists",
                "choose another name, or remove it first");
    }

    private static OrchestratorException running(String nameOrId) {
        return OrchestratorException.conflict("container " + nameOrId + " is running", "stop it first, or pass --force");
    }

    @Override
    public void start(String nameOrId) {
        run(() -> {
            try {
                client.startContainerCmd(nameOrId).exec();
            } catch (NotModifiedException e) {
                // already running
            }
        }, nameOrId);
    }

    @Override
    public void stop(String nameOrId, Duration timeout) {
        run(() -> {
            try {
                client.stopContainerCmd(nameOrId).withTimeout((int) Math.max(0, timeout.toSeconds())).exec();
            } catch (NotModifiedException e) {
                // already stopped
            }
        }, nameOrId);
    }

    @Override
    public void remove(String nameOrId, boolean force) {
        run(() -> {
            try {
                client.removeContainerCmd(nameOrId).withForce(force).exec();
            } catch (ConflictException e) {
                throw running(nameOrId);
            } catch (DockerException e) {
                // Podman's compat API answers 500 (not 409) for removing a running container.
                if (e.getHttpStatus() != 404 && String.valueOf(e.getMessage()).contains("running")) {
                    throw running(nameOrId);
                }
                throw e;
            }
        }, nameOrId);
    }

    @Override
    public Optional<ContainerInfo> inspect(String nameOrId) {
        return call(() -> {
            try {
                InspectContainerResponse r = client.inspectContainerCmd(nameOrId).exec();
                String name = r.getName() == null ? "" : r.getName().replaceFirst("^/", "");
                Map<String, String> labels = r.getConfig() == null || r.getConfig().getLabels() == null
                        ? Map.of() : r.getConfig().getLabels();
                String status = r.getState() == null || r.getState().getStatus() == null ? "" : r.getState().getStatus();
                ContainerInfo.State state = ContainerInfo.State.parse(status);
                Long exitCode = r.getState() == null ? null : r.getState().getExitCodeLong();
                String shown = state == ContainerInfo.State.EXITED && exitCode != null ? status + " (" + exitCode + ")" : status;
                return Optional.of(new ContainerInfo(r.getId(), name, r.getConfig() == null ? "" : r.getConfig().getImage(),
                        state, shown, labels));
            } catch (NotFoundException e) {
                return Optional.<ContainerInfo>empty();
            }
        });
    }

    @Override
    public List<ContainerInfo> list(Map<String, String> labels) {
        return call(() -> {
            var cmd = client.listContainersCmd().withShowAll(true);
            if (!labels.isEmpty()) {
                // "key" alone matches any value; "key=value" an exact one.
                cmd.withLabelFilter(labels.entrySet().stream()
                        .map(e -> e.getValue().isEmpty() ? e.getKey() : e.getKey() + "=" + e.getValue())
                        .toList());
            }
            return cmd.exec().stream().map(PodmanEngine::info).toList();
        });
    }

    private static ContainerInfo info(Container c) {
        String name = c.getNames() == null || c.getNames().length == 0 ? "" : c.getNames()[0].replaceFirst("^/", "");
        return new ContainerInfo(c.getId(), name, c.getImage() == null ? "" : c.getImage(),
                ContainerInfo.State.parse(c.getState()), c.getStatus() == null ? "" : c.getStatus(),
                c.getLabels() == null ? Map.of() : c.getLabels());
    }

    @Override
    public int exec(String nameOrId, List<String> command, OutputStream out, OutputStream err) {
        return call(() -> {
            try {
                String execId = client.execCreateCmd(nameOrId).withCmd(command.toArray(String[]::new))
                        .withAttachStdout(true).withAttachStderr(true).exec().getId();
                client.execStartCmd(execId).exec(new FrameCopier(out, err)).awaitCompletion();
                Long code = client.inspectExecCmd(execId).exec().getExitCodeLong();
                return code == null ? -1 : code.intValue();
            } catch (ConflictException e) {
                throw OrchestratorException.conflict("container " + nameOrId + " is not running",
                        "start it with `1bit toolbox start " + nameOrId + "`");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 130;
            }
        });
    }

    @Override
    public void logs(String nameOrId, boolean follow, int tail, long sinceEpochSecond, OutputStream out, OutputStream err) {
        run(() -> {
            // Podman can hold a followed log stream open after the container has exited (seen for one that exited
            // just before the request), so only a running container is followed, and a watcher ends the stream
            // once the container no longer runs, after a short drain of what was in flight.
            boolean following = follow && isRunning(nameOrId);
            var command = client.logContainerCmd(nameOrId).withStdOut(true).withStdErr(true).withFollowStream(following);
            if (tail > 0) {
                command.withTail(tail);
            }
            if (sinceEpochSecond > 0) {
                command.withSince((int) sinceEpochSecond);
            }
            FrameCopier copier = command.exec(new FrameCopier(out, err));
            Thread watcher = following ? Thread.ofVirtual().name("logs-watch-" + nameOrId)
                    .start(() -> endWhenStopped(nameOrId, copier)) : null;
            try {
                copier.awaitCompletion();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (watcher != null) {
                    watcher.interrupt();
                }
            }
        }, nameOrId);
    }

    private void endWhenStopped(String nameOrId, FrameCopier copier) {
        try {
            while (isRunning(nameOrId)) {
                Thread.sleep(1000);
            }
            Thread.sleep(FOLLOW_DRAIN.toMillis());
            copier.close();
        } catch (InterruptedException e) {
            // the stream ended by itself
        } catch (IOException | RuntimeException e) {
            // closing a stream that is going away anyway, or podman unreachable: awaitCompletion reports that
        }
    }

    /** False for a stopped or vanished container. */
    private boolean isRunning(String nameOrId) {
        try {
            var state = client.inspectContainerCmd(nameOrId).exec().getState();
            return state != null && "running".equals(state.getStatus());
        } catch (NotFoundException e) {
            return false;
        }
    }

    @Override
    public void close() {
        closeQuietly(client);
        onClose.run();
    }

    private static void closeQuietly(DockerClient client) {
        try {
            client.close();
        } catch (IOException | RuntimeException ignored) {
            // nothing useful to do while closing
        }
    }

    private void run(Runnable action, String nameOrId) {
        call(() -> {
            try {
                action.run();
            } catch (NotFoundException e) {
                throw OrchestratorException.notFound("no container named '" + nameOrId + "'",
                        "see `1bit toolbox list`");
            }
            return null;
        });
    }

    private <T> T call(Supplier<T> action) {
        try {
            return action.get();
        } catch (OrchestratorException e) {
            throw e;
        } catch (DockerException e) {
            throw new OrchestratorException(Reason.ENGINE_ERROR, "podman refused: " + firstLine(e.getMessage()),
                    "see `podman system info` and the podman service's log", e);
        } catch (RuntimeException e) {
            if (isTransportFailure(e)) {
                throw unavailable(endpoint, e);
            }
            throw e;
        }
    }

    private static boolean isTransportFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException || t instanceof UncheckedIOException) {
                return true;
            }
        }
        return false;
    }

    static OrchestratorException unavailable(URI endpoint, Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return new OrchestratorException(Reason.ENGINE_UNAVAILABLE,
                "the Podman socket " + endpoint + " does not answer (" + firstLine(String.valueOf(root.getMessage())) + ")",
                "start it with `systemctl --user start podman.socket` (or `sudo systemctl start podman.socket`), "
                        + "or check with `1bit doctor`", e);
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "";
        }
        String line = text.strip().lines().findFirst().orElse("");
        return line.length() > 300 ? line.substring(0, 300) + "…" : line;
    }

    /** Copies multiplexed stdout/stderr frames to two streams. */
    private static final class FrameCopier extends ResultCallback.Adapter<Frame> {
        private final OutputStream out;
        private final OutputStream err;

        FrameCopier(OutputStream out, OutputStream err) {
            this.out = out;
            this.err = err;
        }

        @Override
        public void onNext(Frame frame) {
            try {
                OutputStream target = frame.getStreamType() == StreamType.STDERR ? err : out;
                target.write(frame.getPayload());
                target.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
