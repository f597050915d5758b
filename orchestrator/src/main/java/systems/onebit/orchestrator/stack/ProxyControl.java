package systems.onebit.orchestrator.stack;

import java.time.Duration;

/** Starts and stops the union proxy: through its systemd unit when installed, else as a detached process. */
public interface ProxyControl {

    /** "systemd --user unit 1bit-proxy.service", "detached process (pid file …)". */
    String describe();

    StackReport up(Duration timeout);

    StackReport down(Duration timeout);
}
