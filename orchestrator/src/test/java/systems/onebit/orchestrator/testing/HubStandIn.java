package systems.onebit.orchestrator.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Hugging Face Hub stand-in (no network reaches the Hub here), faithful to what huggingface_hub reads: the revision
 * API ({@code sha}), the tree API ({@code type}, {@code path}, {@code size}, {@code lfs.oid} = sha256), and
 * {@code resolve} answering 302 to a second host (the storage) with {@code X-Repo-Commit}, {@code X-Linked-Etag} and
 * {@code X-Linked-Size}; the storage honours {@code Range}. A gated repository answers 401 without the right token.
 * Records every request the storage saw, with its Authorization and Range headers.
 */
public final class HubStandIn implements AutoCloseable {

    public static final String COMMIT = "4f2a9c1e0b7d3a6f5e8c2b1a0d9e8f7a6b5c4d3e";

    /** One request to the storage host. */
    public record Seen(String path, String authorization, String range) {
    }

    private final HttpServer hub;
    private final HttpServer storage;
    private final Map<String, Map<String, byte[]>> repos = new LinkedHashMap<>();
    private final Map<String, byte[]> blobs = new LinkedHashMap<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private volatile String gatedRepo = "";
    private volatile String token = "";
    private volatile double dropAt = 1.0;
    private volatile long bytesPerSecond = 0;

    public HubStandIn() throws IOException {
        hub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        storage = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        hub.createContext("/", this::hub);
        storage.createContext("/", this::storage);
        hub.start();
        storage.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    /** Adds a file to a repository; returns its sha256. */
    public synchronized String put(String repo, String path, byte[] content) {
        String sha = sha256(content);
        repos.computeIfAbsent(repo, r -> new LinkedHashMap<>()).put(path, content);
        blobs.put(sha, content);
        return sha;
    }

    /** Serves {@code content} as a plain file on the storage host (any web server); returns its URL. */
    public synchronized URI file(String name, byte[] content) {
        blobs.put(name, content);
        return URI.create("http://localhost:" + storage.getAddress().getPort() + "/files/" + name);
    }

    /** {@code repo} answers 401 unless the request carries {@code Bearer token}. */
    public void gate(String repo, String requiredToken) {
        gatedRepo = repo;
        token = requiredToken;
    }

    /** The storage closes the connection after this fraction of the next body (1.0: never). */
    public void dropAt(double fraction) {
        dropAt = fraction;
    }

    /** Storage answers at about this rate (0: as fast as it can): long enough to interrupt a client mid-file. */
    public void throttle(long value) {
        bytesPerSecond = value;
    }

    public List<Seen> seen() {
        return List.copyOf(seen);
    }

    private void hub(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        try (exchange) {
            String repo = repoOf(path);
            if (repo.isEmpty() || !repos.containsKey(repo)) {
                send(exchange, 404, "{\"error\":\"Repository not found\"}");
                return;
            }
            if (repo.equals(gatedRepo) && !("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                send(exchange, 401, "{\"error\":\"Access to model " + repo + " is restricted. You must have access to it and be authenticated to access it. Please log in.\"}");
                return;
            }
            Map<String, byte[]> files = repos.get(repo);
            if (path.startsWith("/api/models/" + repo + "/revision/")) {
                send(exchange, 200, "{\"id\":\"" + repo + "\",\"sha\":\"" + COMMIT + "\"}");
            } else if (path.startsWith("/api/models/" + repo + "/tree/")) {
                StringBuilder tree = new StringBuilder("[");
                files.forEach((file, content) -> tree.append(tree.length() > 1 ? "," : "")
                        .append("{\"type\":\"file\",\"oid\":\"0000\",\"size\":").append(content.length)
                        .append(",\"path\":\"").append(file).append("\",\"lfs\":{\"oid\":\"").append(sha256(content))
                        .append("\",\"size\":").append(content.length).append(",\"pointerSize\":134}}"));
                send(exchange, 200, tree.append(']').toString());
            } else if (path.startsWith("/" + repo + "/resolve/")) {
                String file = path.substring(("/" + repo + "/resolve/").length()).replaceFirst("^[^/]+/", "");
                byte[] content = files.get(file);
                if (content == null) {
                    send(exchange, 404, "{\"error\":\"Entry not found\"}");
                    return;
                }
                String sha = sha256(content);
                exchange.getResponseHeaders().add("X-Repo-Commit", COMMIT);
                exchange.getResponseHeaders().add("X-Linked-Etag", "\"" + sha + "\"");
                exchange.getResponseHeaders().add("X-Linked-Size", Integer.toString(content.length));
                exchange.getResponseHeaders().add("Location", "http://127.0.0.1:" + storage.getAddress().getPort()
                        + "/blobs/" + sha + "?X-Amz-Signature=standin");
                exchange.sendResponseHeaders(302, -1);
            } else {
                send(exchange, 404, "{\"error\":\"not found\"}");
            }
        }
    }

    private void storage(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String range = exchange.getRequestHeaders().getFirst("Range");
        seen.add(new Seen(path, String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")), String.valueOf(range)));
        try (exchange) {
            byte[] content = blobs.get(path.substring(path.lastIndexOf('/') + 1));
            if (content == null) {
                send(exchange, 404, "<Error>NoSuchKey</Error>");
                return;
            }
            int from = 0;
            int end = content.length;  // exclusive
            boolean partial = range != null && range.startsWith("bytes=");
            if (partial) {
                String[] bounds = range.substring(6).split("-", 2);
                from = Integer.parseInt(bounds[0]);
                end = bounds[1].isEmpty() ? content.length : Math.min(content.length, Integer.parseInt(bounds[1]) + 1);
                exchange.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (end - 1) + "/" + content.length);
            }
            exchange.sendResponseHeaders(partial ? 206 : 200, end - from);
            // The drop happens at a point of the whole file, in whichever request covers it.
            int stop = dropAt < 1.0 ? (int) (content.length * dropAt) : content.length;
            OutputStream out = exchange.getResponseBody();
            if (stop < end && stop > from) {
                dropAt = 1.0;
                out.write(content, from, stop - from);
                out.flush();
                // Fewer bytes than announced: closing the exchange closes the connection mid-body.
                return;
            }
            if (bytesPerSecond <= 0) {
                out.write(content, from, end - from);
                return;
            }
            int step = (int) Math.max(1, bytesPerSecond / 20);
            for (int at = from; at < end; at += step) {
                out.write(content, at, Math.min(step, end - at));
                out.flush();
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static String repoOf(String path) {
        String p = path.startsWith("/api/models/") ? path.substring("/api/models/".length()) : path.substring(1);
        String[] parts = p.split("/");
        return parts.length >= 2 ? parts[0] + "/" + parts[1] : "";
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    public static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        hub.stop(0);
        storage.stop(0);
    }
}
