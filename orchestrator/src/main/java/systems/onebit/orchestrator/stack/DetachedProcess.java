package systems.onebit.orchestrator.stack;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.fs.LocalFiles;
import systems.onebit.orchestrator.probe.HttpProbe;
import systems.onebit.orchestrator.probe.HttpWaitStrategy;

/**
 * A lane as a detached process where no systemd manager has its unit (the proxy, FastFlowLM, GAIA): started in its
 * own session with stdin from /dev/null and output appended to {@code NAME.log}, its pid (and start time, so a reused
 * pid does not count) in {@code NAME.pid}, both under the state directory ({@code $XDG_STATE_HOME/1bit}); up when
 * {@code readyPath} answers 200 on its URL. One that never answers is stopped again.
 */
public final class DetachedProcess implements Lane {

    private final String name;
    private final List<String> command;
    private final java.util.Map<String, String> environment;
    private final Path stateDir;
    private final URI url;
    private final String readyPath;

    /**
     * @param command     the command that runs it in the foreground ({@code … 1bit proxy}, {@code flm serve MODEL})
     * @param environment its whole environment (XDG paths decide which registry the proxy reads)
     * @param readyPath   answers 200 on {@code url} once it serves ({@code /health}, {@code /v1/models})
     */
    public DetachedProcess(String name, List<String> command, java.util.Map<String, String> environment, Path stateDir,
                           URI url, String readyPath) {
        this.name = name;
        this.command = List.copyOf(command);
        this.environment = java.util.Map.copyOf(environment);
        this.stateDir = stateDir;
        this.url = url;
        this.readyPath = readyPath;
    }

    /** The proxy: {@code proxy.pid}, {@code proxy.log}, ready when {@code /health} answers. */
    public static DetachedProcess proxy(List<String> command, java.util.Map<String, String> environment, Path stateDir, URI url) {
        return new DetachedProcess("proxy", command, environment, stateDir, url, "/health");
    }

    @Override
    public String name() {
        return name;
    }

    public URI url() {
        return url;
    }

    public Path pidFile() {
        return stateDir.resolve(name + ".pid");
    }

    /**
     * Held while it is started or stopped: two {@code up}s at once (a boot script and a user, say) must not both start
     * one, where the loser, unable to listen, would take the pid file with it and leave the winner running unseen by
     * {@code down}.
     */
    private Path lockFile() {
        return stateDir.resolve(name + ".lock");
    }

    public Path logFile() {
        return stateDir.resolve(name + ".log");
    }

    @Override
    public String describe() {
        return "detached process (" + pidFile() + ")";
    }

    /**
     * The recorded process when it still runs. The pid file holds the pid and the process's start time, so a pid
     * reused by another program does not count.
     */
    public Optional<ProcessHandle> running() {
        try {
            if (!Files.exists(pidFile())) {
                return Optional.empty();
            }
            String[] fields = Files.readString(pidFile()).trim().split("\\s+");
            long pid = Long.parseLong(fields[0]);
            String started = fields.length > 1 ? fields[1] : "";
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(p -> startTime(p).equals(started));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String startTime(ProcessHandle process) {
        return process.info().startInstant().map(Object::toString).orElse("unknown");
    }

    @Override
    public StackReport up(Duration timeout) {
        try {
            return LocalFiles.exclusively(lockFile(), () -> start(timeout));
        } catch (IOException e) {
            return new StackReport.Failed(name, new OrchestratorException(OrchestratorException.Reason.IO,
                    "cannot start " + name + " (" + e.getMessage() + ")", "check that " + stateDir + " is writable", e));
        }
    }

    private StackReport start(Duration timeout) throws IOException {
        Optional<ProcessHandle> running = running();
        HttpProbe.Result health = HttpProbe.get(url, readyPath, Duration.ofMillis(500));
        if (running.isPresent() && health.ok()) {
            return new StackReport.Unchanged(name, "already running (pid " + running.get().pid() + ") on " + url);
        }
        if (running.isEmpty() && health.ok()) {
            return new StackReport.Unchanged(name, "something already answers on " + url + " (not started by 1bit)");
        }
        if (running.isPresent()) {
            return waitHealthy(running.get(), timeout, false);
        }
        Files.createDirectories(stateDir);
        Files.writeString(logFile(), "", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().putAll(environment);
        Process process = builder
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
                .redirectErrorStream(true)
                .start();
        writePid(process.toHandle());
        return waitHealthy(process.toHandle(), timeout, true);
    }

    private StackReport waitHealthy(ProcessHandle process, Duration timeout, boolean startedNow) {
        try {
            Duration took = new HttpWaitStrategy(readyPath, Duration.ofMillis(50), () -> process.isAlive() ? Optional.empty()
                    : Optional.of(name + " exited at start-up: " + lastLines(3)), logFile().toString())
                    .waitUntilReady(url, timeout);
            return new StackReport.Changed(name, (startedNow ? "started" : "came up") + " (pid " + process.pid()
                    + ") on " + url + " in " + took.toMillis() + " ms; log " + logFile());
        } catch (OrchestratorException e) {
            // Nothing half-started: a process that never answered is stopped again.
            boolean stoppedAgain = startedNow && process.isAlive();
            if (stoppedAgain) {
                stop(process, Duration.ofSeconds(5));
            }
            if (!process.isAlive()) {
                deletePid();
            }
            return new StackReport.Failed(name, stoppedAgain ? new OrchestratorException(e.reason(),
                    e.getMessage() + "; stopped it again", e.hint(), e) : e);
        }
    }

    @Override
    public StackReport down(Duration timeout) {
        try {
            return LocalFiles.exclusively(lockFile(), () -> stopRecorded(timeout));
        } catch (IOException e) {
            return new StackReport.Failed(name, new OrchestratorException(OrchestratorException.Reason.IO,
                    "cannot stop " + name + " (" + e.getMessage() + ")", "check that " + stateDir + " is writable", e));
        }
    }

    private StackReport stopRecorded(Duration timeout) {
        Optional<ProcessHandle> running = running();
        if (running.isEmpty()) {
            deletePid();
            return new StackReport.Unchanged(name, "not running");
        }
        boolean clean = stop(running.get(), timeout);
        deletePid();
        return new StackReport.Changed(name, "stopped (pid " + running.get().pid() + (clean ? ")" : ", killed after "
                + timeout.toSeconds() + " s)"));
    }

    private static boolean stop(ProcessHandle process, Duration timeout) {
        process.destroy();
        try {
            process.onExit().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            process.destroyForcibly();
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return false;
        }
    }

    private void writePid(ProcessHandle process) throws IOException {
        LocalFiles.replace(pidFile(), process.pid() + " " + startTime(process) + "\n", false);
    }

    private void deletePid() {
        try {
            Files.deleteIfExists(pidFile());
        } catch (IOException ignored) {
            // a stale pid file is harmless: running() checks the process
        }
    }

    private String lastLines(int n) {
        try {
            List<String> lines = Files.readAllLines(logFile());
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

}
