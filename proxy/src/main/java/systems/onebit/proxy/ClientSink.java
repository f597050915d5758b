package systems.onebit.proxy;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The client's side of one forwarded request: a response not begun yet (any status can still be sent), or an event
 * stream already open with 200 (the keep-alive comments of a request that waits for its model), after which an
 * error can only be an error event.
 */
final class ClientSink implements AutoCloseable {

    private final ServerResponse res;
    private final Exchange exchange;
    private final boolean stream;
    private OutputStream open;

    /** @param stream whether the client asked for a stream (only then may waiting open one early) */
    ClientSink(ServerResponse res, Exchange exchange, boolean stream) {
        this.res = res;
        this.exchange = exchange;
        this.stream = stream;
    }

    ServerResponse response() {
        return res;
    }

    Exchange exchange() {
        return exchange;
    }

    /** Whether a 200 event stream has been sent already. */
    boolean streaming() {
        return open != null;
    }

    /** An event stream already sent to the client. */
    OutputStream stream() {
        return open;
    }

    /**
     * Tells a streaming client it still waits: opens the event stream at the first call, then writes an SSE comment.
     * Does nothing for a client that did not ask for a stream.
     *
     * @throws UncheckedIOException when the client has gone away
     */
    void keepAlive(String comment) {
        if (!stream) {
            return;
        }
        try {
            if (open == null) {
                res.status(200);
                res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
                res.header(HeaderNames.CACHE_CONTROL, "no-cache");
                open = res.outputStream();
            }
            open.write((": " + comment + "\n\n").getBytes(StandardCharsets.UTF_8));
            open.flush();
        } catch (IOException | RuntimeException e) {
            throw new UncheckedIOException(e instanceof IOException io ? io : new IOException(e));
        }
    }

    /** The error as the whole response, or as the stream's last event once a stream is open. */
    void fail(OpenAiError error) {
        exchange.status = error.status();
        if (open == null) {
            if (error.status() == 503 || error.status() == 429) {
                res.header(HeaderNames.RETRY_AFTER, "1");
            }
            error.send(res);
            return;
        }
        event(error.event());
    }

    void event(byte[] event) {
        try {
            open.write(event);
            open.flush();
        } catch (IOException | RuntimeException e) {
            // the client is gone
        }
    }

    @Override
    public void close() {
        if (open != null) {
            try {
                open.close();
            } catch (IOException | RuntimeException e) {
                // the client is gone
            }
        }
    }
}
