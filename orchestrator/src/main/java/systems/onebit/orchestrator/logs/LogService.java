package systems.onebit.orchestrator.logs;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.engine.ContainerEngine;
import systems.onebit.orchestrator.engine.ContainerInfo;
import systems.onebit.orchestrator.lanes.WebuiContainer;
import systems.onebit.orchestrator.ondemand.ToolboxModelRunner;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.stack.SystemdLane;
import systems.onebit.orchestrator.systemd.SystemdUnits;
import systems.onebit.orchestrator.toolbox.Labels;

/**
 * `1bit logs`: every component's log by name: the proxy (its unit's journal when systemd runs it, else
 * {@code proxy.log}), each toolbox container, each on-demand model ({@code model:ALIAS}), Open WebUI, GAIA and the
 * NPU lane. Several at once are read in parallel and interleaved as lines arrive.
 */
public final class LogService {

    private final Supplier<ContainerEngine> engine;
    private final Path stateDir;
    private final Function<String, Optional<SystemdUnits>> systemd;

    public LogService(Supplier<ContainerEngine> engine, Path stateDir, Function<String, Optional<SystemdUnits>> systemd) {
        this.engine = engine;
        this.stateDir = stateDir;
        this.systemd = systemd;
    }

    /** Every component with a log on this host, by name, in a stable order. */
    public Map<String, LogSource> sources(Registry registry) {
        Map<String, LogSource> out = new LinkedHashMap<>();
        Optional<SystemdUnits> proxyUnit = systemd.apply(SystemdLane.PROXY_UNIT);
        out.put("proxy", proxyUnit.<LogSource>map(u -> new LogSource.Journal("proxy", SystemdLane.PROXY_UNIT,
                u.describe().contains("--user"))).orElse(new LogSource.File("proxy", stateDir.resolve("proxy.log"))));
        for (ContainerInfo c : engine.get().list(Map.of(Labels.BACKEND, ""))) {
            String name = c.name().startsWith(ToolboxModelRunner.PREFIX)
                    ? "model:" + c.name().substring(ToolboxModelRunner.PREFIX.length()) : c.name();
            out.put(name, new LogSource.Container(name, c.name(), engine));
        }
        if (engine.get().inspect(WebuiContainer.CONTAINER).isPresent()) {
            out.put(WebuiContainer.NAME, new LogSource.Container(WebuiContainer.NAME, WebuiContainer.CONTAINER, engine));
        } else if (java.nio.file.Files.exists(stateDir.resolve(WebuiContainer.NAME + ".log"))) {
            out.put(WebuiContainer.NAME, new LogSource.File(WebuiContainer.NAME, stateDir.resolve(WebuiContainer.NAME + ".log")));
        }
        for (String lane : List.of("npu", "gaia")) {
            if (java.nio.file.Files.exists(stateDir.resolve(lane + ".log"))) {
                out.put(lane, new LogSource.File(lane, stateDir.resolve(lane + ".log")));
            }
        }
        return out;
    }

    /** The sources for {@code names} (all when empty); an unknown name is an error that lists the known ones. */
    public List<LogSource> select(Registry registry, List<String> names) {
        Map<String, LogSource> all = sources(registry);
        if (names.isEmpty()) {
            return List.copyOf(all.values());
        }
        List<LogSource> chosen = new ArrayList<>();
        for (String name : names) {
            LogSource source = all.get(name);
            if (source == null) {
                throw OrchestratorException.notFound("no component '" + name + "' with a log",
                        "known: " + String.join(", ", all.keySet()));
            }
            chosen.add(source);
        }
        return chosen;
    }

    /**
     * Reads {@code sources} at once, each line to {@code sink} with its component as it arrives; with {@code follow},
     * until interrupted. A source that fails sends its error as a line of its own.
     */
    public void read(List<LogSource> sources, int lines, boolean follow, Instant since, BiConsumer<String, String> sink)
            throws InterruptedException {
        List<Thread> readers = new ArrayList<>();
        for (LogSource source : sources) {
            readers.add(Thread.ofPlatform().daemon().name("logs-" + source.component()).start(() -> {
                try {
                    source.read(lines, follow, since, line -> sink.accept(source.component(), line));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    sink.accept(source.component(), "(cannot read its log: " + e.getMessage() + ")");
                }
            }));
        }
        try {
            for (Thread t : readers) {
                t.join();
            }
        } finally {
            readers.forEach(Thread::interrupt);
        }
    }
}
