package systems.onebit.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A backend's answer: status and headers read, the body a stream of its decoded bytes (chunked or sized). Closing it
 * returns the connection to the pool when the body was read to its end and the backend keeps connections open;
 * otherwise the connection is closed, which tells the backend to stop generating.
 */
final class UpstreamResponse implements AutoCloseable {

    private final int status;
    private final Map<String, String> headers;
    private final InputStream body;

    UpstreamResponse(int status, Map<String, String> headers, InputStream body) {
        this.status = status;
        this.headers = headers;  // built for this answer alone, never changed
        this.body = body;
    }

    int status() {
        return status;
    }

    /** A header's value; names are matched in lower case. */
    Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
    }

    String contentType() {
        return header("content-type").orElse("application/json");
    }

    boolean eventStream() {
        return contentType().startsWith("text/event-stream");
    }

    /** The body's length when the backend announced it. */
    Optional<Long> contentLength() {
        return header("transfer-encoding").isPresent() ? Optional.empty() : header("content-length").map(Long::parseLong);
    }

    InputStream body() {
        return body;
    }

    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException e) {
            // the connection is dropped either way
        }
    }
}
