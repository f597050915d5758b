package systems.onebit.orchestrator.doctor;

import java.util.List;

/** The RPC protocol has no authentication: a worker reachable beyond loopback lends its GPU to anyone who reaches it. */
public final class RpcExposure {

    private RpcExposure() {
    }

    /** @param workers each RPC worker run here, as {@code name host:port} */
    public static CheckResult check(List<Worker> workers) {
        List<String> exposed = workers.stream().filter(w -> !loopback(w.host())).map(w -> w.name() + " on " + w.host() + ":" + w.port()).toList();
        if (exposed.isEmpty()) {
            return CheckResult.ok("rpc-workers", workers.isEmpty() ? "no RPC worker runs here"
                    : workers.size() + " RPC worker(s), all on loopback");
        }
        return CheckResult.warn("rpc-workers", "RPC worker(s) listening beyond loopback: " + String.join(", ", exposed)
                        + "; llama.cpp's RPC protocol has no authentication",
                "keep them on a private link (a direct cable, a VLAN, a firewall rule that admits only the head)");
    }

    public record Worker(String name, String host, int port) {
    }

    private static boolean loopback(String host) {
        return host.equals("localhost") || host.equals("::1") || host.startsWith("127.");
    }
}
