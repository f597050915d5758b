package systems.onebit.proxy;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Writes a backend's answer to the client: a sized answer in one write, an event stream chunk by chunk as it comes,
 * into a fresh response or into a stream already open. Says how it ended, so the forwarder can count a backend
 * that broke off.
 */
final class Relay {

    /** How a relay ended. */
    enum Outcome { COMPLETE, UPSTREAM_BROKE, UPSTREAM_STALLED, CLIENT_GONE }

    /** Platform threads kept between streams: starting one per stream added to every stream's first token. */
    private static final ExecutorService PUMPS = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("1bit-stream-", 0).factory());

    private final Observer observer;
    private final Duration idleTimeout;
    private final boolean reasoningAsContent;

    Relay(Observer observer, Duration idleTimeout, boolean reasoningAsContent) {
        this.observer = observer;
        this.idleTimeout = idleTimeout;
        this.reasoningAsContent = reasoningAsContent;
    }

    /**
     * Relays {@code answer} from {@code backend}, then closes it (pooling its connection when read to the end).
     * {@code backendDone} runs as soon as the answer has been read to its end, before its tail reaches the client:
     * the backend's slot is free then, and the next request in line should not wait for this client's side.
     */
    Outcome relay(UpstreamResponse answer, ClientSink sink, String backend, boolean head, Runnable backendDone) {
        Exchange exchange = sink.exchange();
        Runnable ended = () -> {
            answer.close();
            backendDone.run();
        };
        exchange.firstByte = System.nanoTime() - exchange.start;
        exchange.status = answer.status();
        try (answer) {
            if (sink.streaming()) {
                return intoOpenStream(answer, sink, backend, ended);
            }
            ServerResponse res = sink.response();
            res.status(answer.status());
            res.header(HeaderNames.CONTENT_TYPE, answer.contentType());
            res.header("X-1bit-Backend", backend);
            answer.header("retry-after").ifPresent(v -> res.header(HeaderNames.RETRY_AFTER, v));
            if (head) {
                answer.contentLength().ifPresent(n -> res.header(HeaderNames.CONTENT_LENGTH, Long.toString(n)));
                res.send();
                return Outcome.COMPLETE;
            }
            boolean sse = answer.eventStream();
            if (sse) {
                res.header(HeaderNames.CACHE_CONTROL, "no-cache");
                return pumpOnPlatformThread(answer, res, exchange, backend, ended);
            }
            if (answer.contentLength().isPresent() || (reasoningAsContent && answer.contentType().startsWith("application/json"))) {
                return whole(answer, res, exchange, backend, ended);
            }
            try (OutputStream out = res.outputStream()) {
                return pump(answer.body(), out, exchange, backend, false, ended);
            } catch (IOException | RuntimeException e) {
                return Outcome.CLIENT_GONE;
            }
        }
    }

    /** A sized answer goes out in one write, with its length. */
    private Outcome whole(UpstreamResponse answer, ServerResponse res, Exchange exchange, String backend, Runnable ended) {
        byte[] body;
        try (InputStream in = answer.body()) {
            body = readBody(in, answer.contentLength().orElse(-1L));
        } catch (IOException e) {
            exchange.status = 502;
            OpenAiError.server(502, "backend '" + backend + "' broke off its answer: " + e.getMessage(), "upstream_error")
                    .send(res);
            return e instanceof SocketTimeoutException ? Outcome.UPSTREAM_STALLED : Outcome.UPSTREAM_BROKE;
        }
        ended.run();
        if (reasoningAsContent && answer.contentType().startsWith("application/json")) {
            body = ReasoningCompat.json(body);
        }
        exchange.bytes = body.length;
        observer.scan(backend, exchange.model, body, body.length);
        try {
            WriteBatching.othersFirst();
            res.send(body);
            return Outcome.COMPLETE;
        } catch (RuntimeException e) {
            return Outcome.CLIENT_GONE;
        }
    }

    /**
     * The whole body: into an array of its announced length when there is one (-1: none) (readAllBytes would allocate and zero
     * a 16 KB buffer per answer, then copy: 7 % of the proxy's CPU per small request, measured with JFR).
     */
    private static byte[] readBody(InputStream in, long length) throws IOException {
        if (length < 0 || length > Integer.MAX_VALUE - 8) {
            return in.readAllBytes();
        }
        byte[] body = new byte[(int) length];
        int n = in.readNBytes(body, 0, body.length);
        if (n < body.length) {
            throw new EOFException("the backend closed the connection after " + n + " of " + body.length + " bytes");
        }
        return body;
    }

    /**
     * A token stream is relayed on a platform thread: each upstream read then wakes this one thread, where a virtual
     * thread is woken through the poller and a carrier (two hand-offs per token). Measured here: one stream of a
     * fast model 94 % of direct tokens/s against 77-82 % on the request's virtual thread.
     */
    private Outcome pumpOnPlatformThread(UpstreamResponse answer, ServerResponse res, Exchange exchange, String backend,
                                         Runnable ended) {
        Future<Outcome> pumped = PUMPS.submit(() -> {
            try (OutputStream out = reasoningAsContent ? ReasoningCompat.events(res.outputStream()) : res.outputStream()) {
                return pump(answer.body(), out, exchange, backend, true, ended);
            } catch (IOException | RuntimeException e) {
                return Outcome.CLIENT_GONE;  // the client went away while the stream was being closed
            }
        });
        try {
            return pumped.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pumped.cancel(true);
            return Outcome.CLIENT_GONE;
        } catch (ExecutionException e) {
            return Outcome.CLIENT_GONE;
        }
    }

    private Outcome intoOpenStream(UpstreamResponse answer, ClientSink sink, String backend, Runnable ended) {
        Exchange exchange = sink.exchange();
        if (answer.status() >= 400) {
            String text;
            try (InputStream in = answer.body()) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                text = "";
            }
            sink.event(text.startsWith("{\"error\"") ? ("data: " + text + "\n\n").getBytes(StandardCharsets.UTF_8)
                    : OpenAiError.server(answer.status(), "backend '" + backend + "' answered " + answer.status() + ": "
                    + text, "upstream_error").event());
            return Outcome.COMPLETE;
        }
        return pump(answer.body(), sink.stream(), exchange, backend, true, ended);
    }

    /**
     * Copies the body chunk by chunk, flushing each (a token must not wait for a buffer to fill). A backend that breaks
     * off or stalls ends an event stream ({@code events}) with an error event; a client that goes away ends it quietly.
     */
    private Outcome pump(InputStream in, OutputStream out, Exchange exchange, String backend, boolean events,
                         Runnable ended) {
        byte[] buffer = new byte[16 * 1024];
        while (true) {
            int n;
            try {
                n = in.read(buffer);
            } catch (IOException e) {
                boolean stalled = e instanceof SocketTimeoutException;
                OpenAiError error = stalled
                        ? OpenAiError.server(504, "backend '" + backend + "' sent nothing for " + idleTimeout.toSeconds()
                        + " s", "upstream_idle_timeout")
                        : OpenAiError.server(502, "backend '" + backend + "' closed the stream", "upstream_error");
                if (events) {
                    try {
                        out.write(error.event());
                        out.flush();
                    } catch (IOException | RuntimeException ignored) {
                        // the client is gone too
                    }
                }
                return stalled ? Outcome.UPSTREAM_STALLED : Outcome.UPSTREAM_BROKE;
            }
            if (n < 0) {
                ended.run();
                return Outcome.COMPLETE;
            }
            try {
                out.write(buffer, 0, n);
                out.flush();
            } catch (IOException | RuntimeException e) {
                return Outcome.CLIENT_GONE;  // closing the upstream body unpooled cancels the backend's generation
            }
            exchange.bytes += n;
            observer.scan(backend, exchange.model, buffer, n);
        }
    }
}
