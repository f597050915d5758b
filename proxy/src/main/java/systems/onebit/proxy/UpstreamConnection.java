package systems.onebit.proxy;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One HTTP/1.1 connection to a backend: writes a request in one go, reads the status line and headers, and decodes
 * the body (sized, chunked, or up to the close). Blocking I/O on the caller's thread; each read has a deadline
 * ({@link ReadDeadlines}): the first-byte timeout until the headers arrive, then the idle timeout for each read of the
 * body. A read past it fails with {@link SocketTimeoutException} and the connection is closed.
 */
final class UpstreamConnection implements ReadDeadlines.Armed {

    private static final int MAX_LINE = 64 * 1024;

    private final SocketChannel channel;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buffer = new byte[16 * 1024];
    private int pos;
    private int limit;
    private boolean answered;
    private long idleSince;
    private boolean streamed;
    private long readTimeoutNanos = Long.MAX_VALUE;
    private volatile long deadline = Long.MAX_VALUE;
    private volatile boolean expired;

    private UpstreamConnection(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.socket = channel.socket();
        socket.setTcpNoDelay(true);  // a request written as head then body must not wait for a delayed ACK
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    static UpstreamConnection open(InetSocketAddress address, Duration timeout) throws IOException {
        SocketChannel channel = SocketChannel.open();
        try {
            channel.socket().connect(address, (int) Math.max(1, timeout.toMillis()));
            return new UpstreamConnection(channel);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    /** Whether any byte of an answer has arrived on this connection for the current request. */
    boolean answered() {
        return answered;
    }

    long idleSince() {
        return idleSince;
    }

    /**
     * Whether an idle pooled connection is still usable: the backend has not closed it (nor sent anything unasked).
     * A non-blocking read of one byte tells without waiting. Asked only after a chunked answer (llama-server closes
     * after a stream, and keeps connections after sized answers); a close missed here costs a retry, not an error.
     */
    boolean usable() {
        if (pos < limit) {
            return false;
        }
        if (!streamed) {
            return true;
        }
        try {
            channel.configureBlocking(false);
            int n = channel.read(ByteBuffer.allocate(1));
            channel.configureBlocking(true);
            return n == 0;
        } catch (IOException e) {
            return false;
        }
    }

    void send(byte[] head, byte[] body, Duration firstByteTimeout) throws IOException {
        answered = false;
        readTimeoutNanos = firstByteTimeout.toNanos();
        WriteBatching.othersFirst();
        if (body.length > 0 && body.length <= 64 * 1024) {
            byte[] both = new byte[head.length + body.length];
            System.arraycopy(head, 0, both, 0, head.length);
            System.arraycopy(body, 0, both, head.length, body.length);
            out.write(both);
        } else {
            out.write(head);
            if (body.length > 0) {
                out.write(body);
            }
        }
        out.flush();
        WriteBatching.othersBeforeRead();
    }

    /** The head of the answer; 1xx interim answers are skipped. */
    Head readHead(boolean head) throws IOException {
        while (true) {
            String statusLine = readLine();
            if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
                throw new ProtocolError("not an HTTP answer: " + printable(statusLine));
            }
            int status;
            try {
                status = Integer.parseInt(statusLine.substring(9, 12));
            } catch (NumberFormatException e) {
                throw new ProtocolError("bad status line: " + printable(statusLine));
            }
            Map<String, String> headers = new HashMap<>();
            for (String line = readLine(); !line.isEmpty(); line = readLine()) {
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    throw new ProtocolError("bad header line: " + printable(line));
                }
                headers.merge(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip(),
                        (a, b) -> a + ", " + b);
            }
            if (status >= 100 && status < 200) {
                continue;
            }
            boolean http10 = statusLine.startsWith("HTTP/1.0");
            String connection = headers.getOrDefault("connection", "").toLowerCase(Locale.ROOT);
            boolean keepAlive = http10 ? connection.contains("keep-alive") : !connection.contains("close");
            return new Head(status, headers, keepAlive, head || status == 204 || status == 304);
        }
    }

    /** Status and headers, whether the connection may be reused, and whether the answer has no body by definition. */
    record Head(int status, Map<String, String> headers, boolean keepAlive, boolean bodiless) {
    }

    /** The body of {@code head} as a stream; {@code done} gets this connection back when it may be reused. */
    InputStream body(Head head, Duration idleTimeout, Consumer<UpstreamConnection> done) throws IOException {
        readTimeoutNanos = idleTimeout.toNanos();
        String transfer = head.headers().getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT);
        if (head.bodiless()) {
            return new Body(0, false, head.keepAlive(), done);
        }
        streamed = transfer.contains("chunked");
        if (streamed) {
            return new Body(-1, true, head.keepAlive(), done);
        }
        String length = head.headers().get("content-length");
        if (length != null) {
            try {
                return new Body(Long.parseLong(length.strip()), false, head.keepAlive(), done);
            } catch (NumberFormatException e) {
                throw new ProtocolError("bad Content-Length: " + printable(length));
            }
        }
        return new Body(-1, false, false, done);  // up to the close
    }

    void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public long deadline() {
        return deadline;
    }

    @Override
    public void expire() {
        expired = true;
        close();  // the blocked read fails now
    }

    /** A read of the socket that fails with SocketTimeoutException once the current read timeout has passed. */
    private int timedRead(byte[] target, int off, int len) throws IOException {
        if (expired) {
            throw new SocketTimeoutException("no data from the backend within " + readTimeoutNanos / 1_000_000 + " ms");
        }
        deadline = System.nanoTime() + Math.min(readTimeoutNanos, Long.MAX_VALUE / 4);
        ReadDeadlines.SHARED.arm(this);
        try {
            return in.read(target, off, len);
        } catch (IOException e) {
            if (expired) {
                throw new SocketTimeoutException("no data from the backend within " + readTimeoutNanos / 1_000_000 + " ms");
            }
            throw e;
        } finally {
            ReadDeadlines.SHARED.disarm(this);
            deadline = Long.MAX_VALUE;
        }
    }

    private int fill() throws IOException {
        int n = timedRead(buffer, 0, buffer.length);
        if (n > 0) {
            pos = 0;
            limit = n;
            answered = true;
        }
        return n;
    }

    private String readLine() throws IOException {
        // The common case, a whole line in the buffer, becomes one String without a builder.
        for (int i = pos; i < limit; i++) {
            if (buffer[i] == '\n') {
                int end = i > pos && buffer[i - 1] == '\r' ? i - 1 : i;
                String line = new String(buffer, pos, end - pos, StandardCharsets.ISO_8859_1);
                pos = i + 1;
                return line;
            }
        }
        StringBuilder line = new StringBuilder();
        while (true) {
            if (pos == limit && fill() < 0) {
                throw new EOFException(line.isEmpty() ? "the backend closed the connection without answering"
                        : "the backend closed the connection in the middle of the answer's head");
            }
            byte b = buffer[pos++];
            if (b == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            if (line.length() >= MAX_LINE) {
                throw new ProtocolError("a line of the answer's head is over " + MAX_LINE + " bytes");
            }
            line.append((char) (b & 0xff));
        }
    }

    private int readSome(byte[] target, int off, int len) throws IOException {
        if (pos == limit) {
            if (len >= buffer.length) {
                int n = timedRead(target, off, len);
                answered |= n > 0;
                return n;
            }
            if (fill() < 0) {
                return -1;
            }
        }
        int n = Math.min(len, limit - pos);
        System.arraycopy(buffer, pos, target, off, n);
        pos += n;
        return n;
    }

    private static String printable(String text) {
        String cut = text.length() > 80 ? text.substring(0, 80) + "…" : text;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }

    /** Something came back that is not HTTP. */
    static final class ProtocolError extends IOException {
        ProtocolError(String message) {
            super(message);
        }
    }

    /**
     * A response body: {@code remaining} bytes, or chunks, or everything up to the close. Each read returns what has
     * arrived (a token event is passed on at once, not held until a buffer fills).
     */
    private final class Body extends InputStream {
        private long remaining;
        private final boolean chunked;
        private final boolean reusable;
        private final Consumer<UpstreamConnection> done;
        private boolean complete;
        private boolean closed;

        Body(long length, boolean chunked, boolean reusable, Consumer<UpstreamConnection> done) {
            this.remaining = chunked ? 0 : length;
            this.chunked = chunked;
            this.reusable = reusable;
            this.done = done;
            this.complete = !chunked && length == 0;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] target, int off, int len) throws IOException {
            if (complete || closed) {
                return -1;
            }
            if (len == 0) {
                return 0;
            }
            if (chunked && remaining == 0) {
                remaining = nextChunk();
                if (remaining == 0) {
                    complete = true;
                    return -1;
                }
            }
            int want = remaining > 0 ? (int) Math.min(len, remaining) : len;
            int n = readSome(target, off, want);
            if (n < 0) {
                if (remaining < 0) {  // delimited by the close: this is the end
                    complete = true;
                    return -1;
                }
                throw new EOFException("the backend closed the connection before the end of the answer");
            }
            if (remaining > 0) {
                remaining -= n;
                if (remaining == 0 && chunked) {
                    crlf();
                } else if (remaining == 0) {
                    complete = true;
                }
            }
            return n;
        }

        private long nextChunk() throws IOException {
            String line = readLine();
            int semicolon = line.indexOf(';');
            String size = (semicolon >= 0 ? line.substring(0, semicolon) : line).strip();
            long n;
            try {
                n = Long.parseLong(size, 16);
            } catch (NumberFormatException e) {
                throw new ProtocolError("bad chunk size: " + printable(line));
            }
            if (n == 0) {
                while (!readLine().isEmpty()) {
                    // trailers are dropped
                }
            }
            return n;
        }

        private void crlf() throws IOException {
            if (!readLine().isEmpty()) {
                throw new ProtocolError("a chunk was longer than announced");
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (complete && reusable) {
                idleSince = System.nanoTime();
                done.accept(UpstreamConnection.this);
            } else {
                UpstreamConnection.this.close();
            }
        }
    }
}
