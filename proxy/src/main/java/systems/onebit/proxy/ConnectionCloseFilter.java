package systems.onebit.proxy;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.Locale;

/**
 * Closes the connection after the response when the client sent {@code Connection: close}. Helidon 4.5.0 answers
 * such a request with {@code Connection: close} but keeps the socket open (helidon-io/helidon#12324, fixed in a
 * release newer than the registry here serves), so a client that reads to the end of the stream (curl without
 * keep-alive, scripts, simple SSE readers) waits for its own timeout. Helidon's connection handler closes the
 * socket when routing ends in {@link CloseConnectionException}; this filter throws it once the response is complete.
 */
final class ConnectionCloseFilter implements Filter {

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        chain.proceed();
        if (asksToClose(req.headers().first(HeaderNames.CONNECTION).orElse(""))) {
            throw new CloseConnectionException("the client asked to close the connection");
        }
    }

    /** Whether a Connection header's comma-separated options include "close". */
    static boolean asksToClose(String connection) {
        for (String option : connection.split(",")) {
            if (option.trim().toLowerCase(Locale.ROOT).equals("close")) {
                return true;
            }
        }
        return false;
    }
}
