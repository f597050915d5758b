package systems.onebit.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * Runs the everyday read-only commands once, output discarded, so that a JVM started with
 * {@code -XX:AOTCacheOutput} records their classes (see bench/train-aot.sh). Hidden from help.
 */
@Command(name = "aot-train", hidden = true, description = "Exercise common commands for a Java AOT cache training run.")
public final class AotTrainCommand implements Callable<Integer> {

    enum Set { full, fast }

    @picocli.CommandLine.Parameters(index = "0", defaultValue = "full", arity = "0..1",
            description = "full: every everyday command; fast: status, --version, backends, completion.")
    Set set;

    private final CliContext context;

    public AotTrainCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws Exception {
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
        List<List<String>> commands = set == Set.fast
                ? List.of(List.of("--version"), List.of("status", "--json"), List.of("status"))
                : List.of(List.of("--version"), List.of("--help"), List.of("toolbox", "flavors"),
                        List.of("toolbox", "list", "--json"), List.of("toolbox", "list"), List.of("doctor", "--json"),
                        List.of("doctor"), List.of("status", "--json"), List.of("status"), List.of("backends", "list", "--json"));
        for (List<String> args : commands) {
            Main.run(context.env(), sink, sink, args.toArray(String[]::new));
        }
        trainHealthyStatus(sink);
        return 0;
    }

    /**
     * {@code status} against components that answer (a local server standing in for a backend and the proxy, under a
     * throw-away registry), so the cache also holds what a healthy stack's status runs: model lists parsed, rows filled.
     */
    private void trainHealthyStatus(PrintStream sink) throws Exception {
        // A bare socket answering every request, not com.sun.net.httpserver: whatever the training loads, every later
        // start loads too, and status never needs an HTTP server.
        java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread responder = Thread.ofPlatform().daemon().start(() -> {
            while (!server.isClosed()) {
                try (java.net.Socket socket = server.accept()) {
                    java.io.InputStream in = socket.getInputStream();
                    StringBuilder head = new StringBuilder();
                    for (int c = in.read(); c >= 0 && !head.toString().endsWith("\r\n\r\n"); c = in.read()) {
                        head.append((char) c);
                    }
                    byte[] body = (head.toString().contains("/models ")
                            ? "{\"object\":\"list\",\"data\":[{\"id\":\"train\",\"object\":\"model\"}]}"
                            : "{\"status\":\"ok\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    socket.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                            + body.length + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    socket.getOutputStream().write(body);
                } catch (java.io.IOException e) {
                    // closed at the end of training, or a probe gave up
                }
            }
        });
        java.nio.file.Path config = java.nio.file.Files.createTempDirectory("1bit-aot-train");
        try {
            int port = server.getLocalPort();
            java.net.URI url = java.net.URI.create("http://127.0.0.1:" + port);
            // Written as text, not through RegistryStore: its writer path (YAML generation, locking) would be loaded
            // by every start from this cache, and status only reads.
            java.nio.file.Files.createDirectories(config.resolve("1bit"));
            java.nio.file.Files.writeString(config.resolve("1bit/registry.yaml"), """
                    version: 1
                    proxy:
                      host: 127.0.0.1
                      port: %1$d
                    defaultBackend: ""
                    backends:
                      - name: train
                        kind: openai
                        url: %2$s
                        priority: 100
                        enabled: true
                      - name: train-toolbox
                        kind: toolbox
                        url: %2$s
                        flavor: cpu
                        priority: 100
                        enabled: true
                    """.formatted(port, url));
            java.util.Map<String, String> env = new java.util.HashMap<>(context.env());
            env.put("XDG_CONFIG_HOME", config.toString());
            env.put("XDG_CACHE_HOME", config.resolve("cache").toString());
            for (List<String> args : List.of(List.of("status"), List.of("status", "--json"))) {
                Main.run(env, sink, sink, args.toArray(String[]::new));
            }
        } finally {
            server.close();
            responder.interrupt();
            try (var files = java.nio.file.Files.walk(config)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
