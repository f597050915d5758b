package systems.onebit.proxy;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A deliberately awkward OpenAI-compatible backend for the proxy's tests (a stand-in for the ways real servers
 * treat connections, not for any one server): it lists one model, answers chat completions (a JSON answer with
 * its length, or an SSE stream), and can
 * <ul>
 *   <li>{@link Mode#CLOSE_AFTER_ANSWER}: close every connection right after its answer, without saying
 *       {@code Connection: close} (what llama-server's cpp-httplib does after a stream);</li>
 *   <li>{@link Mode#DROP_REUSED}: answer the first request of a connection, then read the next one and close without
 *       answering (a keep-alive timeout that strikes as the request arrives);</li>
 *   <li>{@link Mode#SERIAL}: serve one connection at a time, one request each (a server with a single HTTP thread),
 *       so a probe waits behind a busy request.</li>
 * </ul>
 * It can be stopped and started again on the same port.
 */
final class ScriptedBackend implements AutoCloseable {

    enum Mode { KEEP_ALIVE, CLOSE_AFTER_ANSWER, DROP_REUSED, SERIAL }

    private final String model;
    private final Mode mode;
    private final Duration delay;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final AtomicInteger answered = new AtomicInteger();
    private volatile ServerSocket server;
    private int port;

    ScriptedBackend(String model, Mode mode, Duration delay) {
        this.model = model;
        this.mode = mode;
        this.delay = delay;
    }

    ScriptedBackend start() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
        port = s.getLocalPort();
        server = s;
        Thread.ofPlatform().daemon().start(() -> accept(s));
        return this;
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Chat completions answered so far. */
    int answered() {
        return answered.get();
    }

    /** Closes the listening socket and every connection: the port refuses until {@link #start} again. */
    void stop() throws IOException {
        server.close();
        for (Socket c : open) {
            c.close();
        }
        open.clear();
    }

    @Override
    public void close() throws IOException {
        stop();
    }

    private void accept(ServerSocket s) {
        while (!s.isClosed()) {
            try {
                Socket c = s.accept();
                open.add(c);
                if (mode == Mode.SERIAL) {
                    serve(c);
                } else {
                    Thread.ofVirtual().start(() -> serve(c));
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket c) {
        try (c) {
            InputStream in = new BufferedInputStream(c.getInputStream());
            OutputStream out = c.getOutputStream();
            for (int n = 0; ; n++) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                byte[] body = in.readNBytes(contentLength(head));
                if (mode == Mode.DROP_REUSED && n > 0) {
                    return;  // read the request, close without a byte of answer
                }
                answer(head, new String(body, StandardCharsets.UTF_8), out);
                if (mode == Mode.CLOSE_AFTER_ANSWER || mode == Mode.SERIAL) {
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            // the proxy hung up, or we were stopped
        } finally {
            open.remove(c);
        }
    }

    private void answer(String head, String body, OutputStream out) throws IOException, InterruptedException {
        if (head.startsWith("GET /v1/models")) {
            write(out, "200 OK", "application/json", "{\"object\":\"list\",\"data\":[{\"id\":\"" + model + "\",\"object\":\"model\"}]}");
            return;
        }
        if (!head.startsWith("POST /v1/chat/completions ")) {
            write(out, "404 Not Found", "application/json", "{\"error\":{\"message\":\"no such path\"}}");
            return;
        }
        Thread.sleep(delay);
        answered.incrementAndGet();
        if (body.contains("\"stream\":true")) {
            StringBuilder events = new StringBuilder();
            for (String token : List.of("Hel", "lo")) {
                events.append("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"").append(token).append("\"}}]}\n\n");
            }
            write(out, "200 OK", "text/event-stream", events.append("data: [DONE]\n\n").toString());
        } else {
            write(out, "200 OK", "application/json", "{\"object\":\"chat.completion\",\"model\":\"" + model
                    + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},"
                    + "\"finish_reason\":\"stop\"}]}");
        }
    }

    private static void write(OutputStream out, String status, String type, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\nContent-Length: " + bytes.length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(bytes);
        out.flush();
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        for (int b; (b = in.read()) >= 0; ) {
            head.write(b);
            matched = (b == '\r' && matched % 2 == 0) || (b == '\n' && matched % 2 == 1) ? matched + 1 : 0;
            if (matched == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return Integer.parseInt(line.substring(15).strip());
            }
        }
        return 0;
    }
}
