package systems.onebit.orchestrator.logs;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import systems.onebit.orchestrator.engine.ContainerEngine;

/** Where one component's log lines come from: a file, a container, the systemd journal. */
public sealed interface LogSource permits LogSource.File, LogSource.Container, LogSource.Journal {

    /** The component's name in the output: {@code proxy}, a toolbox backend, {@code model:ALIAS}, … */
    String component();

    /**
     * Sends the last {@code lines} lines (0: all) to {@code sink}, then, with {@code follow}, new ones as they come
     * until the thread is interrupted.
     */
    void read(int lines, boolean follow, Instant since, Consumer<String> sink) throws IOException, InterruptedException;

    /** A log file a detached process appends to ({@code proxy.log}, {@code npu.log}, {@code gaia.log}). */
    record File(String component, Path path) implements LogSource {
        @Override
        public void read(int lines, boolean follow, Instant since, Consumer<String> sink) throws IOException, InterruptedException {
            long offset = 0;
            if (Files.exists(path)) {
                List<String> all = Files.readAllLines(path, StandardCharsets.UTF_8);
                all.subList(lines > 0 ? Math.max(0, all.size() - lines) : 0, all.size()).forEach(sink);
                offset = Files.size(path);
            }
            while (follow && !Thread.currentThread().isInterrupted()) {
                Thread.sleep(200);
                if (!Files.exists(path)) {
                    continue;
                }
                long size = Files.size(path);
                if (size < offset) {
                    offset = 0;  // truncated or replaced: from its start
                }
                if (size > offset) {
                    try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "r")) {
                        file.seek(offset);
                        byte[] grown = new byte[(int) Math.min(size - offset, 1 << 20)];
                        file.readFully(grown);
                        int end = lastNewline(grown);
                        if (end >= 0) {
                            new String(grown, 0, end, StandardCharsets.UTF_8).lines().forEach(sink);
                            offset += end + 1;
                        }
                    }
                }
            }
        }

        private static int lastNewline(byte[] bytes) {
            for (int i = bytes.length - 1; i >= 0; i--) {
                if (bytes[i] == '\n') {
                    return i;
                }
            }
            return -1;
        }
    }

    /** A container's output through the engine (toolbox backends, on-demand models, Open WebUI). */
    record Container(String component, String name, Supplier<ContainerEngine> engine) implements LogSource {
        @Override
        public void read(int lines, boolean follow, Instant since, Consumer<String> sink) {
            OutputStream out = new LineSplitter(sink);
            engine.get().logs(name, follow, lines, since.getEpochSecond(), out, out);
        }
    }

    /** A systemd unit's journal ({@code journalctl [--user] -u UNIT}), for a lane run by its unit. */
    record Journal(String component, String unit, boolean user) implements LogSource {
        @Override
        public void read(int lines, boolean follow, Instant since, Consumer<String> sink) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of("journalctl", "--no-pager", "-o", "cat", "-u", unit));
            if (user) {
                command.add(1, "--user");
            }
            if (lines > 0) {
                command.addAll(List.of("-n", Integer.toString(lines)));
            }
            if (since.getEpochSecond() > 0) {
                command.addAll(List.of("--since", "@" + since.getEpochSecond()));
            }
            if (follow) {
                command.add("-f");
            }
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null && !Thread.currentThread().isInterrupted(); line = in.readLine()) {
                    sink.accept(line);
                }
            } finally {
                process.destroy();
            }
        }
    }

    /** Bytes to lines, for the container log stream. */
    final class LineSplitter extends OutputStream {
        private final Consumer<String> sink;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        LineSplitter(Consumer<String> sink) {
            this.sink = sink;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                sink.accept(line.toString(StandardCharsets.UTF_8));
                line.reset();
            } else {
                line.write(b);
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }
    }

    /** How far back {@code --since 10m} goes. */
    static Instant since(Duration back) {
        return back.isZero() ? Instant.EPOCH : Instant.now().minus(back);
    }
}
