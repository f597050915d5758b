package systems.onebit.proxy;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;

/**
 * The proxy's HTTP/1.1 client to its backends, with a pool of kept-alive connections per backend address.
 * <ul>
 *   <li>A pooled connection is checked before reuse (a backend's idle close is seen without a round trip), and one
 *       idle longer than the keep-alive time is dropped (llama-server's cpp-httplib closes after 5 s).</li>
 *   <li>A request that fails on a reused connection before any byte of the answer arrived is sent once more on a
 *       fresh connection: the backend closed that connection, it never saw the request.</li>
 *   <li>{@code Connection: close} from a backend, and a body read only in part, close the connection instead of
 *       pooling it.</li>
 * </ul>
 */
final class UpstreamClient implements AutoCloseable {

    /**
     * @param keepAlive   longest a connection stays pooled unused
     * @param maxIdle     idle connections kept per backend address
     */
    record Settings(Duration connectTimeout, Duration firstByteTimeout, Duration idleTimeout, Duration keepAlive,
                    int maxIdle) {
    }

    /** One request: the full target URI, the headers to send (name, value pairs) and the body. */
    record Request(String method, URI target, List<Map.Entry<String, String>> headers, byte[] body) {
        static Request get(URI target) {
            return new Request("GET", target, List.of(), new byte[0]);
        }
    }

    private final Settings settings;
    private final Map<String, Deque<UpstreamConnection>> idle = new ConcurrentHashMap<>();
    private volatile boolean closed;

    UpstreamClient(Settings settings) {
        this.settings = settings;
    }

    UpstreamResponse send(Request request) throws UpstreamException {
        return send(request, settings.firstByteTimeout());
    }

    /** Sends {@code request} and returns the answer with its headers read; the caller reads and closes the body. */
    UpstreamResponse send(Request request, Duration firstByteTimeout) throws UpstreamException {
        URI target = request.target();
        int port = target.getPort() > 0 ? target.getPort() : "https".equals(target.getScheme()) ? 443 : 80;
        String key = target.getHost() + ":" + port;
        byte[] head = head(request, key);
        UpstreamConnection pooled = pooled(key);
        if (pooled != null) {
            try {
                return exchange(pooled, key, request, head, firstByteTimeout);
            } catch (IOException e) {
                pooled.close();
                if (pooled.answered() || e instanceof SocketTimeoutException) {
                    throw classify(e, false, key);
                }
                // The backend had closed the pooled connection: it never saw the request. Once more, fresh.
            }
        }
        UpstreamConnection fresh;
        try {
            fresh = UpstreamConnection.open(new InetSocketAddress(target.getHost(), port), settings.connectTimeout());
        } catch (IOException e) {
            throw new UpstreamException(UpstreamException.Kind.REFUSED, "cannot connect to " + key + ": " + describe(e), e);
        }
        try {
            return exchange(fresh, key, request, head, firstByteTimeout);
        } catch (IOException e) {
            fresh.close();
            throw classify(e, true, key);
        }
    }

    private UpstreamResponse exchange(UpstreamConnection connection, String key, Request request, byte[] head,
                                      Duration firstByteTimeout) throws IOException {
        connection.send(head, request.body(), firstByteTimeout);
        UpstreamConnection.Head answer = connection.readHead(request.method().equals("HEAD"));
        return new UpstreamResponse(answer.status(), answer.headers(),
                connection.body(answer, settings.idleTimeout(), c -> release(key, c)));
    }

    private UpstreamException classify(IOException e, boolean fresh, String key) {
        if (e instanceof SocketTimeoutException) {
            return new UpstreamException(UpstreamException.Kind.TIMEOUT, key + " did not answer in time", e);
        }
        if (e instanceof UpstreamConnection.ProtocolError) {
            return new UpstreamException(UpstreamException.Kind.PROTOCOL, key + " answered something that is not HTTP: "
                    + e.getMessage(), e);
        }
        if (fresh && (e instanceof EOFException || e instanceof SocketException)) {
            return new UpstreamException(UpstreamException.Kind.RESET, key + " closed a new connection without answering: "
                    + describe(e), e);
        }
        return new UpstreamException(UpstreamException.Kind.PROTOCOL, key + " failed: " + describe(e), e);
    }

    private static String describe(IOException e) {
        if (e instanceof ConnectException || e instanceof NoRouteToHostException) {
            return "connection refused";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private UpstreamConnection pooled(String key) {
        Deque<UpstreamConnection> connections = idle.get(key);
        if (connections == null) {
            return null;
        }
        long oldest = System.nanoTime() - settings.keepAlive().toNanos();
        for (UpstreamConnection c = connections.pollFirst(); c != null; c = connections.pollFirst()) {
            if (c.idleSince() - oldest > 0 && c.usable()) {
                return c;
            }
            c.close();
        }
        return null;
    }

    private void release(String key, UpstreamConnection connection) {
        Deque<UpstreamConnection> connections = idle.get(key);
        if (connections == null) {
            // Bounded, with a size kept (a ConcurrentLinkedDeque counts its nodes on every size()).
            connections = idle.computeIfAbsent(key, k -> new LinkedBlockingDeque<>(settings.maxIdle()));
        }
        // Most recently used first: the warmest connection goes out next; a full pool closes the extra one.
        if (closed || !connections.offerFirst(connection)) {
            connection.close();
        }
    }

    private static byte[] head(Request request, String hostPort) {
        URI target = request.target();
        String path = target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
        StringBuilder head = new StringBuilder(256).append(request.method()).append(' ').append(path);
        if (target.getRawQuery() != null) {
            head.append('?').append(target.getRawQuery());
        }
        head.append(" HTTP/1.1\r\nHost: ").append(hostPort).append("\r\n");
        for (Map.Entry<String, String> h : request.headers()) {
            head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
        }
        String method = request.method().toUpperCase(Locale.ROOT);
        if (request.body().length > 0 || method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
            head.append("Content-Length: ").append(request.body().length).append("\r\n");
        }
        return head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        closed = true;
        idle.values().forEach(d -> {
            for (UpstreamConnection c = d.pollFirst(); c != null; c = d.pollFirst()) {
                c.close();
            }
        });
    }
}
