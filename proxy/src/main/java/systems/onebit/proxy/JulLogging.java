package systems.onebit.proxy;

import io.helidon.logging.common.spi.LoggingProvider;

/**
 * Helidon's logging set-up, done by 1bit itself (java.util.logging, configured by the CLI): registered so that
 * Helidon does not print "There is no Helidon logging implementation on classpath" to the terminal at every start.
 */
public final class JulLogging implements LoggingProvider {

    @Override
    public void initialization() {
        // 1bit configures java.util.logging before the server starts
    }

    @Override
    public void runTime() {
        // nothing to redo at run time
    }
}
