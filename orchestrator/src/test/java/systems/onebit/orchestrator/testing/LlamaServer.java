package systems.onebit.orchestrator.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real llama-server process for tests, built by .ci/build-llama-server.sh ($ONEBIT_LLAMA_SERVER, else the
 * default cache path). A missing binary fails the test; it is never skipped.
 */
public final class LlamaServer implements AutoCloseable {

    private final Process process;
    private final URI url;
    private final Path log;

    private LlamaServer(Process process, URI url, Path log) {
        this.process = process;
        this.url = url;
        this.log = log;
    }

    public static Path binary() {
        String configured = System.getenv().getOrDefault("ONEBIT_LLAMA_SERVER", "");
        Path path = configured.isBlank()
                ? Path.of("/var/cache/onebit/llama-cpp-node-llama-cpp-3.21.1-ternary/bin/llama-server") : Path.of(configured);
        if (!Files.isExecutable(path)) {
            throw new IllegalStateException("llama-server is missing at " + path
                    + ": build it with .ci/build-llama-server.sh (CI does) or set ONEBIT_LLAMA_SERVER");
        }
        return path;
    }

    /** Starts llama-server on a free loopback port with {@code model} and waits until /health answers 200. */
    public static LlamaServer start(Path model, String alias, Path logDir) throws IOException, InterruptedException {
        return start(model, alias, logDir, 512);
    }

    /** As {@link #start(Path, String, Path)} with a context of {@code context} tokens (long streams need more). */
    public static LlamaServer start(Path model, String alias, Path logDir, int context)
            throws IOException, InterruptedException {
        return start(model, alias, logDir, context, List.of());
    }

    /** With extra llama-server arguments, e.g. {@code --embeddings --pooling mean} for /v1/embeddings. */
    public static LlamaServer start(Path model, String alias, Path logDir, int context, List<String> extra)
            throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Files.createDirectories(logDir);
        Path log = logDir.resolve("llama-server-" + port + ".log");
        List<String> command = new java.util.ArrayList<>(List.of(binary().toString(), "--host", "127.0.0.1", "--port",
                Integer.toString(port), "-m", model.toString(), "--alias", alias, "-c", Integer.toString(context), "-np", "2",
                "-t", "1", "--no-warmup"));
        command.addAll(extra);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        LlamaServer server = new LlamaServer(process, URI.create("http://127.0.0.1:" + port), log);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("llama-server exited: " + Files.readString(log));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(server.url.resolve("/health")).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return server;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        server.close();
        throw new IllegalStateException("llama-server was not healthy within 60 s: " + Files.readString(log));
    }

    public URI url() {
        return url;
    }

    public Path log() {
        return log;
    }

    /** SIGKILL, as a crash would. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
