package systems.onebit.orchestrator.probe;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * One plain-HTTP GET with a hard deadline, for health and model-list probes of local backends.
 *
 * <p>Why not {@code java.net.http.HttpClient}: its first request costs about 300 ms of start-up (selector thread,
 * executor, HTTP/2 machinery) and a selector left in {@code epoll} delays JVM exit by another 300 ms. {@code 1bit
 * status} must answer within a few hundred milliseconds, and a probe needs none of that: a loopback connect, one
 * request with {@code Connection: close}, a status line and a bounded body.
 */
public final class HttpProbe {

    /** Probe bodies are small JSON documents; anything longer is cut, not buffered. */
    public static final int MAX_BODY = 1 << 20;

    /** What a probe saw: the HTTP status (0 when there was no HTTP answer), the body, the error, the time taken. */
    public record Result(int status, String body, String error, Duration took) {
        public boolean ok() {
            return status == 200;
        }

        /** "healthy", "http 503", or the connection error in a few words. */
        public String health() {
            return ok() ? "healthy" : status > 0 ? "http " + status : error;
        }
    }

    private HttpProbe() {
    }

    /** GETs {@code base.resolve(path)}; never throws for network trouble and never takes longer than {@code timeout}. */
    public static Result get(URI base, String path, Duration timeout) {
        return get(base, path, timeout, "");
    }

    /** As {@link #get(URI, String, Duration)}, sending {@code authorization} (e.g. {@code Bearer KEY}) when not empty. */
    public static Result get(URI base, String path, Duration timeout, String authorization) {
        return get(base.resolve(path), timeout, authorization);
    }

    /** GETs {@code target} itself, sending {@code authorization} when not empty. */
    public static Result get(URI target, Duration timeout, String authorization) {
        long start = System.nanoTime();
        if (!"http".equals(target.getScheme()) || target.getHost() == null) {
            return new Result(0, "", "not an http URL", Duration.ZERO);
        }
        int port = target.getPort() > 0 ? target.getPort() : 80;
        long deadline = start + timeout.toNanos();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(target.getHost(), port), millisLeft(deadline));
            socket.setSoTimeout(millisLeft(deadline));
            String host = target.getHost().contains(":") ? "[" + target.getHost() + "]" : target.getHost();
            return exchange(socket.getOutputStream(), new java.io.BufferedInputStream(new DeadlineStream(socket, deadline)),
                    host + ":" + port,
                    pathAndQuery(target), authorization, start);
        } catch (SocketTimeoutException e) {
            return result(0, "", "timeout", start);
        } catch (java.net.ConnectException e) {
            return result(0, "", "down", start);
        } catch (IOException | RuntimeException e) {
            return result(0, "", "down (" + e.getClass().getSimpleName() + ")", start);
        }
    }

    /**
     * GETs {@code path} from an HTTP server on a unix socket (Podman's API socket), with the same deadline and
     * bounds as {@link #get}.
     */
    public static Result getUnix(java.nio.file.Path socket, String path, Duration timeout) {
        long start = System.nanoTime();
        try (java.nio.channels.SocketChannel channel = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            // A blocking channel has no read timeout: a watchdog closes it at the deadline, which ends any read.
            Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
                try {
                    Thread.sleep(timeout);
                    channel.close();
                } catch (InterruptedException | IOException ignored) {
                    // done in time, or already closed
                }
            });
            try {
                channel.connect(java.net.UnixDomainSocketAddress.of(socket));
                return exchange(java.nio.channels.Channels.newOutputStream(channel),
                        new java.io.BufferedInputStream(java.nio.channels.Channels.newInputStream(channel)), "d", path, "",
                        start);
            } finally {
                watchdog.interrupt();
            }
        } catch (java.nio.channels.AsynchronousCloseException e) {
            return result(0, "", "timeout", start);
        } catch (IOException | RuntimeException e) {
            return result(0, "", "down (" + e.getClass().getSimpleName() + ")", start);
        }
    }

    private static String pathAndQuery(URI target) {
        return (target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath())
                + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery());
    }

    private static Result exchange(OutputStream out, InputStream in, String host, String pathAndQuery,
                                   String authorization, long start) throws IOException {
        String auth = authorization.isEmpty() || authorization.contains("\r") || authorization.contains("\n") ? ""
                : "Authorization: " + authorization + "\r\n";
        out.write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: " + host
                + "\r\nAccept: application/json\r\nUser-Agent: 1bit-probe\r\n" + auth + "Connection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        String statusLine = line(in);
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            return result(0, "", "not an HTTP answer", start);
        }
        int status = Integer.parseInt(parts[1].trim());
        long length = -1;
        boolean chunked = false;
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
            int colon = header.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = header.substring(colon + 1).trim();
            if (name.equals("content-length")) {
                length = Long.parseLong(value);
            } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                chunked = true;
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (chunked) {
            for (long size = Long.parseLong(line(in).split(";", 2)[0].trim(), 16); size > 0;
                 size = Long.parseLong(line(in).split(";", 2)[0].trim(), 16)) {
                copy(in, body, size);
                line(in);
            }
        } else {
            copy(in, body, length < 0 ? Long.MAX_VALUE : length);
        }
        return result(status, body.toString(StandardCharsets.UTF_8), "", start);
    }

    private static Result result(int status, String body, String error, long start) {
        return new Result(status, body, error, Duration.ofNanos(System.nanoTime() - start));
    }

    private static int millisLeft(long deadline) throws SocketTimeoutException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        return (int) Math.min(Integer.MAX_VALUE, left);
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                if (line.isEmpty()) {
                    throw new IOException("connection closed");
                }
                break;
            }
            if (line.length() > 16 * 1024) {
                throw new IOException("header line too long");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    private static void copy(InputStream in, ByteArrayOutputStream body, long limit) throws IOException {
        byte[] buffer = new byte[8192];
        long left = limit;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                return;
            }
            int keep = Math.max(0, Math.min(n, MAX_BODY - body.size()));
            body.write(buffer, 0, keep);
            left -= n;
        }
    }

    /**
     * Re-arms the socket timeout before each read from the socket so that the whole exchange ends by the deadline.
     * Buffered from outside: the status line and headers are read a byte at a time, and only a read that reaches
     * the socket needs the timeout set.
     */
    private static final class DeadlineStream extends InputStream {
        private final Socket socket;
        private final InputStream in;
        private final long deadline;

        DeadlineStream(Socket socket, long deadline) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.deadline = deadline;
        }

        @Override
        public int read() throws IOException {
            socket.setSoTimeout(millisLeft(deadline));
            return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            socket.setSoTimeout(millisLeft(deadline));
            return in.read(b, off, len);
        }
    }
}
