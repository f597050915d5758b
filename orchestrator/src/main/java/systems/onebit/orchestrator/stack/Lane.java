package systems.onebit.orchestrator.stack;

import java.time.Duration;

/**
 * One part of the stack that `up` starts and `down` stops besides the toolbox backends: the proxy, FastFlowLM on the
 * NPU, Open WebUI, GAIA. Each answers with one report line and never throws for its own failure.
 */
public interface Lane {

    /** The component's name in reports: "proxy", "npu", "open-webui", "gaia". */
    String name();

    /** How it runs: "detached process (pid file …)", "systemd --user unit …", "Podman container …". */
    String describe();

    StackReport up(Duration timeout);

    StackReport down(Duration timeout);
}
