package systems.onebit.proxy;

import io.helidon.http.HeaderValues;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

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
        if (req.headers().containsToken(HeaderValues.CONNECTION_CLOSE)) {
            throw new CloseConnectionException("the client asked to close the connection");
        }
    }
}
