package systems.onebit.proxy;

import java.util.List;

/**
 * The backends as requests see them: a snapshot to route on, and where requests report what they found. The
 * {@link BackendMonitor} keeps it live; {@link #fixed} serves a set list (tests of what happens before forwarding).
 */
interface Backends {

    List<LiveBackend> snapshot();

    /** A request got an answer from {@code name}: it is up. */
    void answered(String name);

    /** A request to {@code name} failed in the way {@code kind} says. */
    void failed(String name, UpstreamException.Kind kind, String why);

    /**
     * Waits until the snapshot changes or {@code deadline} (System.nanoTime) passes: the half-open check a request
     * for a down backend waits on.
     */
    void awaitChange(String name, long deadline) throws InterruptedException;

    /** Why {@code name} is down; empty when it is up or unknown. */
    String why(String name);

    static Backends fixed(List<LiveBackend> backends) {
        List<LiveBackend> list = List.copyOf(backends);
        return new Backends() {
            @Override
            public List<LiveBackend> snapshot() {
                return list;
            }

            @Override
            public void answered(String name) {
            }

            @Override
            public void failed(String name, UpstreamException.Kind kind, String why) {
            }

            @Override
            public void awaitChange(String name, long deadline) throws InterruptedException {
                Thread.sleep(Math.max(0, (deadline - System.nanoTime()) / 1_000_000));
            }

            @Override
            public String why(String name) {
                return "";
            }
        };
    }
}
