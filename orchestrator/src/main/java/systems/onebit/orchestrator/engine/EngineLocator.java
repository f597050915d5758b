package systems.onebit.orchestrator.engine;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.zeroturnaround.exec.ProcessExecutor;
import org.zeroturnaround.exec.StartedProcess;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.OrchestratorException.Reason;

/**
 * Finds a Podman socket that answers: {@code CONTAINER_HOST}, {@code DOCKER_HOST},
 * {@code $XDG_RUNTIME_DIR/podman/podman.sock}, {@code /run/podman/podman.sock}, in that order; if none answers, starts
 * {@code podman system service} on a private socket and stops it when the engine is closed. Why each candidate was
 * skipped is logged, and listed in the error when nothing works.
 */
public final class EngineLocator {

    /**
     * Obtained on first use: creating a System.Logger runs a ServiceLoader pass that opens every jar on the class
     * path, which {@link #endpoints()} (used by the fast {@code status}) must not pay.
     */
    private static final class Log {
        static final System.Logger LOG = System.getLogger(EngineLocator.class.getName());
    }

    /** One place a socket may be; {@link #endpoint} says where, or why not. */
    public interface Candidate {
        String describe();

        /** The endpoint to try, or a reason this candidate does not apply. */
        Either endpoint();
    }

    /** An endpoint or the reason there is none. */
    public record Either(Optional<URI> uri, String whyNot) {
        static Either of(URI uri) {
            return new Either(Optional.of(uri), "");
        }

        static Either skip(String why) {
            return new Either(Optional.empty(), why);
        }
    }

    private final List<Candidate> candidates;
    private final PrivateService privateService;
    private final Duration pingTimeout;

    public EngineLocator(List<Candidate> candidates, PrivateService privateService, Duration pingTimeout) {
        this.candidates = List.copyOf(candidates);
        this.privateService = privateService;
        this.pingTimeout = pingTimeout;
    }

    /** The standard order of candidates for this environment. */
    public static EngineLocator standard(Map<String, String> env, systems.onebit.orchestrator.host.HostPaths host,
                                         Path stateDir) {
        List<Candidate> candidates = new ArrayList<>();
        candidates.add(fromEnv(env, "CONTAINER_HOST"));
        candidates.add(fromEnv(env, "DOCKER_HOST"));
        String runtime = env.getOrDefault("XDG_RUNTIME_DIR", "");
        candidates.add(socketFile("$XDG_RUNTIME_DIR/podman/podman.sock",
                runtime.isEmpty() ? Optional.empty() : Optional.of(Path.of(runtime, "podman", "podman.sock"))));
        candidates.add(socketFile("/run/podman/podman.sock", Optional.of(host.resolve("/run/podman/podman.sock"))));
        return new EngineLocator(candidates, new PrivateService(findPodman(env), stateDir), Duration.ofSeconds(3));
    }

    /** Only {@code endpoint}, no fallback: for tests and for users who name a socket explicitly. */
    public static EngineLocator only(URI endpoint) {
        return new EngineLocator(List.of(new Candidate() {
            public String describe() {
                return endpoint.toString();
            }

            public Either endpoint() {
                return Either.of(endpoint);
            }
        }), null, Duration.ofSeconds(3));
    }

    /** The same candidates without the private-service fallback: for quick, read-only looks. */
    public EngineLocator withoutPrivateService() {
        return new EngineLocator(candidates, null, pingTimeout);
    }

    /** The candidates' endpoints that exist, in order, without connecting to any (for read-only snapshots). */
    public List<URI> endpoints() {
        List<URI> out = new ArrayList<>();
        for (Candidate candidate : candidates) {
            candidate.endpoint().uri().ifPresent(out::add);
        }
        return out;
    }

    public PodmanEngine locate() {
        List<String> skipped = new ArrayList<>();
        for (Candidate candidate : candidates) {
            Either where = candidate.endpoint();
            if (where.uri().isEmpty()) {
                Log.LOG.log(System.Logger.Level.DEBUG, "podman socket candidate {0} skipped: {1}", candidate.describe(), where.whyNot());
                skipped.add(candidate.describe() + ": " + where.whyNot());
                continue;
            }
            try {
                PodmanEngine engine = PodmanEngine.connect(where.uri().get(), pingTimeout);
                Log.LOG.log(System.Logger.Level.DEBUG, "using {0} from {1}", engine.describe(), candidate.describe());
                return engine;
            } catch (OrchestratorException e) {
                Log.LOG.log(System.Logger.Level.DEBUG, "podman socket candidate {0} skipped: {1}", candidate.describe(), e.getMessage());
                skipped.add(candidate.describe() + ": " + e.getMessage());
            }
        }
        if (privateService != null) {
            return privateService.start(skipped);
        }
        throw new OrchestratorException(Reason.ENGINE_UNAVAILABLE,
                "no Podman socket answers (" + String.join("; ", skipped) + ")",
                "start Podman's socket (`systemctl --user start podman.socket`) or check with `1bit doctor`");
    }

    private static Candidate fromEnv(Map<String, String> env, String variable) {
        return new Candidate() {
            public String describe() {
                return "$" + variable;
            }

            public Either endpoint() {
                String value = env.getOrDefault(variable, "");
                if (value.isBlank()) {
                    return Either.skip("not set");
                }
                URI uri = URI.create(value);
                if ("ssh".equals(uri.getScheme())) {
                    return Either.skip("ssh:// connections are not supported; use a unix:// or tcp:// socket");
                }
                if ("unix".equals(uri.getScheme()) && !Files.exists(Path.of(uri.getPath()))) {
                    return Either.skip(uri.getPath() + " does not exist");
                }
                return Either.of(uri);
            }
        };
    }

    private static Candidate socketFile(String label, Optional<Path> path) {
        return new Candidate() {
            public String describe() {
                return label;
            }

            public Either endpoint() {
                if (path.isEmpty()) {
                    return Either.skip("XDG_RUNTIME_DIR is not set");
                }
                if (!Files.exists(path.get())) {
                    return Either.skip(path.get() + " does not exist");
                }
                return Either.of(URI.create("unix://" + path.get()));
            }
        };
    }

    public static Optional<Path> findPodman(Map<String, String> env) {
        for (String dir : env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin").split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, "podman");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** {@code podman system service} on a private socket, started on demand and stopped with the engine. */
    public static final class PrivateService {
        private final Optional<Path> podman;
        private final Path dir;

        public PrivateService(Optional<Path> podman, Path dir) {
            this.podman = podman;
            this.dir = dir;
        }

        PodmanEngine start(List<String> skipped) {
            if (podman.isEmpty()) {
                throw new OrchestratorException(Reason.ENGINE_UNAVAILABLE,
                        "podman is not installed (no podman on PATH) and no Podman socket answers",
                        "install Podman (`sudo dnf install podman` or `sudo apt install podman`)");
            }
            Path socket;
            StartedProcess process;
            try {
                Files.createDirectories(dir);
                socket = dir.resolve("podman-" + ProcessHandle.current().pid() + ".sock");
                Files.deleteIfExists(socket);
                // Exits by itself after 60 s without clients, should 1bit die before stopping it.
                process = new ProcessExecutor(podman.get().toString(), "system", "service", "--time=60",
                        "unix://" + socket)
                        .redirectOutput(java.io.OutputStream.nullOutputStream()).redirectError(java.io.OutputStream.nullOutputStream())
                        .destroyOnExit()
                        .start();
            } catch (IOException e) {
                throw new OrchestratorException(Reason.ENGINE_UNAVAILABLE,
                        "cannot start `podman system service` (" + e.getMessage() + ")", "check with `1bit doctor`", e);
            }
            URI uri = URI.create("unix://" + socket);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            OrchestratorException last = null;
            while (System.nanoTime() < deadline && process.getProcess().isAlive()) {
                if (Files.exists(socket)) {
                    try {
                        Path toDelete = socket;
                        return PodmanEngine.connect(uri, Duration.ofSeconds(3), () -> {
                            process.getProcess().destroy();
                            try {
                                process.getProcess().waitFor(5, TimeUnit.SECONDS);
                                Files.deleteIfExists(toDelete);
                                try (var left = Files.list(dir)) {
                                    if (left.findAny().isEmpty()) {
                                        Files.deleteIfExists(dir);  // the private directory, once empty
                                    }
                                }
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            } catch (IOException ignored) {
                                // a stale socket file is harmless
                            }
                        }, true);
                    } catch (OrchestratorException e) {
                        last = e;
                    }
                }
                sleep(50);
            }
            process.getProcess().destroyForcibly();
            throw new OrchestratorException(Reason.ENGINE_UNAVAILABLE,
                    "no Podman socket answers and a private `podman system service` did not start"
                            + (last == null ? "" : " (" + last.getMessage() + ")") + "; tried: " + String.join("; ", skipped),
                    "run `podman info` to see what is wrong, or `1bit doctor`");
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
