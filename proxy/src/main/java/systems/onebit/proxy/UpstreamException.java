package systems.onebit.proxy;

import java.io.IOException;

/**
 * A request that got no answer from its backend, with what that says about the backend's health.
 */
final class UpstreamException extends IOException {

    /** How the request failed; {@link #dead()} kinds mark the backend down at once. */
    enum Kind {
        /** No connection could be made (refused, unreachable, connect timeout): nothing was sent. */
        REFUSED,
        /** A fresh connection was reset or closed before any byte of an answer. */
        RESET,
        /** Connected and sent, but no answer within the first-byte timeout (busy or hung). */
        TIMEOUT,
        /** Something that is not HTTP came back. */
        PROTOCOL;

        boolean dead() {
            return this == REFUSED || this == RESET;
        }

        /** Whether the backend certainly never saw the request, so sending it elsewhere cannot run it twice. */
        boolean unsent() {
            return this == REFUSED;
        }
    }

    private final Kind kind;

    UpstreamException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    Kind kind() {
        return kind;
    }
}
