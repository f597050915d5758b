package systems.onebit.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.zeroturnaround.exec.ProcessExecutor;

/** Runs the CLI in-process through the same {@link Main#run} that {@code main} uses, with an isolated environment. */
final class Cli {

    record Result(int code, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    private final Map<String, String> env = new HashMap<>();
    private final Path home;

    Cli(Path home) {
        this.home = home;
        env.put("HOME", home.toString());
        env.put("XDG_CONFIG_HOME", home.resolve("config").toString());
        env.put("XDG_STATE_HOME", home.resolve("state").toString());
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    }

    Cli env(String key, String value) {
        env.put(key, value);
        return this;
    }

    Cli without(String key) {
        env.remove(key);
        return this;
    }

    Path home() {
        return home;
    }

    Path configDir() {
        return home.resolve("config/1bit");
    }

    Result run(String... args) {
        return runWithInput("", args);
    }

    /** Runs with {@code input} on standard input. */
    Result runWithInput(String input, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(env, new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A fake host tree whose /dev holds real device nodes made for the test (char 1,3: the same as /dev/null). */
    static Path hostWithDevices(Path root, boolean kfd) throws IOException, InterruptedException {
        Files.createDirectories(root.resolve("dev/dri"));
        mknod(root.resolve("dev/dri/renderD128"));
        mknod(root.resolve("dev/dri/card0"));
        if (kfd) {
            mknod(root.resolve("dev/kfd"));
        }
        return root;
    }

    private static void mknod(Path path) throws IOException, InterruptedException {
        try {
            int code = new ProcessExecutor("mknod", path.toString(), "c", "1", "3").redirectErrorStream(true)
                    .readOutput(true).execute().getExitValue();
            if (code != 0) {
                throw new IllegalStateException("mknod " + path + " failed (the device tests need root)");
            }
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
