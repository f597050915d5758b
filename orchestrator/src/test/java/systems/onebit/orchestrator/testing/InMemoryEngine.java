package systems.onebit.orchestrator.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.OrchestratorException.Reason;
import systems.onebit.orchestrator.engine.ContainerEngine;
import systems.onebit.orchestrator.engine.ContainerInfo;
import systems.onebit.orchestrator.engine.ContainerSpec;

/**
 * A stand-in {@link ContainerEngine} held in memory, for logic tests without Podman: containers are records in a map,
 * and a started one runs its command as a plain host process (with the spec's environment; no isolation, no devices,
 * no mounts), so start, exec, logs and stop behave as the port promises. It passes the same contract test as
 * {@code PodmanEngine} ({@code InMemoryEngineContractTest}).
 */
public final class InMemoryEngine implements ContainerEngine {

    private final Set<String> images;
    private final Map<String, Container> containers = new ConcurrentHashMap<>();

    /** @param images the images this engine "has"; every other one cannot be pulled (a build adds one) */
    public InMemoryEngine(Set<String> images) {
        this.images = ConcurrentHashMap.newKeySet();
        this.images.addAll(images);
    }

    private static final class Container {
        final String id = UUID.randomUUID().toString().replace("-", "");
        final ContainerSpec spec;
        Process process;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<Thread> pumps = List.of();

        Container(ContainerSpec spec) {
            this.spec = spec;
        }

        synchronized ContainerInfo.State state() {
            if (process == null) {
                return ContainerInfo.State.CREATED;
            }
            return process.isAlive() ? ContainerInfo.State.RUNNING : ContainerInfo.State.EXITED;
        }

        ContainerInfo info() {
            ContainerInfo.State state = state();
            return new ContainerInfo(id, spec.name(), spec.image(), state, state.id(), spec.labels());
        }
    }

    @Override
    public String describe() {
        return "in-memory engine (test stand-in)";
    }

    @Override
    public boolean imageExists(String image) {
        return images.contains(image);
    }

    @Override
    public void pull(String image, Consumer<String> progress) {
        if (!images.contains(image)) {
            throw OrchestratorException.precondition("cannot pull image " + image + ": no registry in memory",
                    "use one of " + images);
        }
    }

    /**
     * Checks what a build can check without running anything: the Containerfile is in the context, its base image is
     * here, every COPY/ADD source is in the context. RUN steps are not run (this stand-in runs no image).
     */
    @Override
    public void build(Path context, String containerfile, String tag, Consumer<String> progress) {
        List<String> steps;
        try {
            steps = Files.readAllLines(context.resolve(containerfile)).stream().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw OrchestratorException.precondition("building " + tag + " failed (no " + containerfile + " in the context)",
                    "read the build's output above, then fix the Containerfile or what it fetches");
        }
        for (int i = 0; i < steps.size(); i++) {
            String[] words = steps.get(i).split("\\s+");
            progress.accept("STEP " + (i + 1) + "/" + steps.size() + ": " + steps.get(i));
            String instruction = words[0].toUpperCase(java.util.Locale.ROOT);
            if (instruction.equals("FROM") && !images.contains(words[1])) {
                throw OrchestratorException.precondition("building " + tag + " failed (base image " + words[1]
                        + " is not here)", "read the build's output above, then fix the Containerfile or what it fetches");
            }
            if ((instruction.equals("COPY") || instruction.equals("ADD")) && !words[1].startsWith("--")) {
                for (int w = 1; w < words.length - 1; w++) {
                    if (!Files.exists(context.resolve(words[w]))) {
                        throw OrchestratorException.precondition("building " + tag + " failed (COPY: " + words[w]
                                + " is not in the build context)", "read the build's output above, then fix the Containerfile or what it fetches");
                    }
                }
            }
        }
        images.add(tag);
    }

    @Override
    public synchronized ContainerInfo create(ContainerSpec spec) {
        if (containers.containsKey(spec.name())) {
            throw OrchestratorException.conflict("the name " + spec.name() + " is in use", "remove that container first");
        }
        Container c = new Container(spec);
        containers.put(spec.name(), c);
        return c.info();
    }

    @Override
    public void start(String name) {
        Container c = require(name);
        synchronized (c) {
            if (c.process != null && c.process.isAlive()) {
                return;
            }
            try {
                c.process = builder(c.spec, c.spec.entrypoint()).start();
            } catch (IOException e) {
                throw OrchestratorException.precondition("cannot run " + c.spec.entrypoint() + " (" + e.getMessage() + ")",
                        "give a command this host has");
            }
            c.pumps = List.of(pump(c.process.getInputStream(), c.out), pump(c.process.getErrorStream(), c.err));
        }
    }

    @Override
    public void stop(String name, Duration timeout) {
        Container c = require(name);
        Process p;
        synchronized (c) {
            p = c.process;
        }
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void remove(String name, boolean force) {
        Container c = require(name);
        if (c.state() == ContainerInfo.State.RUNNING) {
            if (!force) {
                throw OrchestratorException.conflict("container " + name + " is running", "stop it first, or force");
            }
            c.process.destroyForcibly();
        }
        containers.remove(name);
    }

    @Override
    public Optional<ContainerInfo> inspect(String name) {
        return Optional.ofNullable(containers.get(name)).map(Container::info);
    }

    @Override
    public List<ContainerInfo> list(Map<String, String> labels) {
        List<ContainerInfo> out = new ArrayList<>();
        for (Container c : containers.values()) {
            boolean matches = labels.entrySet().stream().allMatch(l -> c.spec.labels().containsKey(l.getKey())
                    && (l.getValue().isEmpty() || l.getValue().equals(c.spec.labels().get(l.getKey()))));
            if (matches) {
                out.add(c.info());
            }
        }
        return out;
    }

    @Override
    public int exec(String name, List<String> command, OutputStream out, OutputStream err) {
        Container c = require(name);
        if (c.state() != ContainerInfo.State.RUNNING) {
            throw OrchestratorException.precondition("container " + name + " is not running", "start it first");
        }
        try {
            Process p = builder(c.spec, command).start();
            Thread o = pump(p.getInputStream(), out);
            Thread e = pump(p.getErrorStream(), err);
            int code = p.waitFor();
            o.join();
            e.join();
            return code;
        } catch (IOException e) {
            throw OrchestratorException.precondition("cannot run " + command + " (" + e.getMessage() + ")", "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public void logs(String name, boolean follow, int tail, long sinceEpochSecond, OutputStream out, OutputStream err) {
        Container c = require(name);
        try {
            if (follow && c.process != null) {
                c.process.waitFor();
                for (Thread pump : c.pumps) {
                    pump.join();
                }
            }
            synchronized (c.out) {
                out.write(c.out.toByteArray());
            }
            synchronized (c.err) {
                err.write(c.err.toByteArray());
            }
        } catch (IOException e) {
            throw new OrchestratorException(Reason.IO, "cannot copy the log of " + name, "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        containers.values().forEach(c -> {
            if (c.process != null) {
                c.process.destroyForcibly();
            }
        });
    }

    private Container require(String name) {
        Container c = containers.get(name);
        if (c == null) {
            throw OrchestratorException.notFound("no container named " + name, "see the list");
        }
        return c;
    }

    private static ProcessBuilder builder(ContainerSpec spec, List<String> command) {
        ProcessBuilder b = new ProcessBuilder(command);
        Map<String, String> env = new LinkedHashMap<>(spec.environment());
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        b.environment().clear();
        b.environment().putAll(env);
        return b;
    }

    private static Thread pump(InputStream from, OutputStream to) {
        return Thread.ofPlatform().daemon().start(() -> {
            byte[] buffer = new byte[8192];
            try (from) {
                for (int n = from.read(buffer); n >= 0; n = from.read(buffer)) {
                    synchronized (to) {
                        to.write(buffer, 0, n);
                        to.flush();
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        });
    }
}
