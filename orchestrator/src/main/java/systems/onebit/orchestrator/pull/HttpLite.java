package systems.onebit.orchestrator.pull;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One keep-alive HTTP/1.1 connection (plain or TLS with host-name verification) for the Hub's API and its storage:
 * GETs whose body is read from the socket straight into the caller's array. Why not the JDK's HttpClient: it costs
 * about 0.3 s to start and moved about 600 MB/s on loopback where curl moves 2.5 GB/s. Not thread-safe: one per
 * worker.
 */
final class HttpLite implements AutoCloseable {

    /**
     * An answer; its body must be read to the end or closed before the next request.
     *
     * @param headers lower-case names, the last value of each
     */
    record Response(int status, Map<String, String> headers, InputStream body) {
        String header(String name) {
            return headers.getOrDefault(name, "");
        }
    }

    private final Duration timeout;
    private volatile Socket socket;
    private InputStream in;
    private OutputStream out;
    private String connectedTo = "";
    private boolean answered;

    HttpLite(Duration timeout) {
        this.timeout = timeout;
    }

    /** GET {@code target} with {@code headers}; a stale kept-alive connection is replaced once, transparently. */
    Response get(URI target, Map<String, String> headers) throws IOException {
        for (int attempt = 0; ; attempt++) {
            boolean reused = socket != null && connectedTo.equals(key(target));
            try {
                send(target, headers);
                return head();
            } catch (IOException e) {
                close();
                if (!reused || attempt > 0 || answered) {
                    throw e;
                }
            }
        }
    }

    /**
     * Reads bytes {@code from}..{@code from + length - 1} of {@code target} into {@code into}; returns the status
     * (206 when the range was honoured; otherwise {@code into} holds nothing useful).
     */
    int readRange(URI target, long from, int length, byte[] into) throws IOException {
        Response r = get(target, Map.of("Range", "bytes=" + from + "-" + (from + length - 1)));
        if (r.status() != 206) {
            r.body().close();
            return r.status();
        }
        if (!r.header("content-length").equals(Integer.toString(length))) {
            close();
            throw new IOException("asked for " + length + " bytes, the storage announced " + r.header("content-length"));
        }
        int at = 0;
        while (at < length) {
            int n = r.body().read(into, at, length - at);
            if (n < 0) {
                close();
                throw new IOException("the storage closed the connection after " + at + " of " + length + " bytes");
            }
            at += n;
        }
        r.body().close();
        return 206;
    }

    private void send(URI target, Map<String, String> headers) throws IOException {
        connect(target);
        answered = false;
        String path = (target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath())
                + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery());
        StringBuilder request = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(hostHeader(target))
                .append("\r\nUser-Agent: 1bit-pull\r\nAccept-Encoding: identity\r\n");
        headers.forEach((name, value) -> {
            if (value.indexOf('\r') < 0 && value.indexOf('\n') < 0) {
                request.append(name).append(": ").append(value).append("\r\n");
            }
        });
        out.write(request.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private Response head() throws IOException {
        String status = line();
        answered = true;
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP answer: " + status);
        }
        int code = Integer.parseInt(parts[1]);
        Map<String, String> headers = new HashMap<>();
        for (String header = line(); !header.isEmpty(); header = line()) {
            int colon = header.indexOf(':');
            if (colon > 0) {
                headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
            }
        }
        boolean close = parts[0].equals("HTTP/1.0") || headers.getOrDefault("connection", "").equalsIgnoreCase("close");
        InputStream body;
        if (headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked")) {
            body = new Chunked(close);
        } else if (headers.containsKey("content-length")) {
            body = new Fixed(Long.parseLong(headers.get("content-length")), close);
        } else {
            body = new Fixed(Long.MAX_VALUE, true);  // to the end of the connection
        }
        return new Response(code, headers, body);
    }

    private void connect(URI target) throws IOException {
        if (socket != null && key(target).equals(connectedTo)) {
            return;
        }
        close();
        Socket s;
        if ("https".equals(target.getScheme())) {
            SSLSocket tls = (SSLSocket) SSLSocketFactory.getDefault().createSocket();
            SSLParameters params = tls.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");  // the certificate must name this host
            tls.setSSLParameters(params);
            tls.connect(new InetSocketAddress(target.getHost(), port(target)), (int) timeout.toMillis());
            s = tls;
        } else if ("http".equals(target.getScheme())) {
            s = new Socket();
            s.connect(new InetSocketAddress(target.getHost(), port(target)), (int) timeout.toMillis());
        } else {
            throw new IOException(target + " is not an http(s) URL");
        }
        s.setSoTimeout((int) timeout.toMillis());
        s.setTcpNoDelay(true);
        socket = s;
        in = new BufferedInputStream(s.getInputStream(), 1 << 16);
        out = s.getOutputStream();
        connectedTo = key(target);
    }

    private static String key(URI target) {
        return target.getScheme() + "://" + target.getHost() + ":" + port(target);
    }

    private static int port(URI target) {
        return target.getPort() > 0 ? target.getPort() : "https".equals(target.getScheme()) ? 443 : 80;
    }

    private static String hostHeader(URI target) {
        String host = target.getHost().contains(":") ? "[" + target.getHost() + "]" : target.getHost();
        return target.getPort() > 0 ? host + ":" + target.getPort() : host;
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("the server closed the connection");
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

    /** Closes the connection; from another thread, this ends a read blocked on it. */
    @Override
    public void close() {
        Socket s = socket;
        socket = null;
        connectedTo = "";
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** An answer's body: reads in bulk; a single byte goes through the same path. */
    private abstract static class Body extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }
    }

    /** A body of known length; closing it early drops the connection (cheaper than draining a large file). */
    private final class Fixed extends Body {
        private long left;
        private final boolean closeAfter;

        Fixed(long length, boolean closeAfter) {
            this.left = length;
            this.closeAfter = closeAfter;
        }


        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                if (left != Long.MAX_VALUE) {
                    throw new IOException("the connection ended " + left + " bytes before the end of the answer");
                }
                left = 0;
                return -1;
            }
            left -= n;
            return n;
        }

        @Override
        public void close() {
            if (left > 0 || closeAfter) {
                HttpLite.this.close();
            }
        }
    }

    /** A chunked body (the Hub's JSON may come so). */
    private final class Chunked extends Body {
        private long chunk;
        private boolean done;
        private final boolean closeAfter;

        Chunked(boolean closeAfter) {
            this.closeAfter = closeAfter;
        }


        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (chunk == 0) {
                chunk = Long.parseLong(line().split(";", 2)[0].trim(), 16);
                if (chunk == 0) {
                    for (String trailer = line(); !trailer.isEmpty(); trailer = line()) {
                        // trailers are not used
                    }
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, chunk));
            if (n < 0) {
                throw new IOException("the connection ended inside a chunk");
            }
            chunk -= n;
            if (chunk == 0) {
                line();
            }
            return n;
        }

        @Override
        public void close() {
            if (!done || closeAfter) {
                HttpLite.this.close();
            }
        }
    }
}
