package systems.onebit.orchestrator.export;

import java.util.List;
import java.util.Locale;
import systems.onebit.orchestrator.engine.ContainerSpec;
import systems.onebit.orchestrator.toolbox.Labels;
import systems.onebit.orchestrator.toolbox.RpcWorkers;

/** One toolbox container as `toolbox create` made it: a backend (llama-server) or an RPC worker. */
public record Exported(ContainerSpec spec) {

    public String name() {
        return spec.name();
    }

    public boolean rpcWorker() {
        return spec.labels().containsKey(RpcWorkers.LABEL);
    }

    /** host:port the container listens on. */
    public String address() {
        return spec.labels().getOrDefault(Labels.HOST, "127.0.0.1") + ":" + port();
    }

    public int port() {
        return Integer.parseInt(spec.labels().getOrDefault(Labels.PORT, "0"));
    }

    public String healthPath() {
        return spec.labels().getOrDefault(Labels.HEALTH_PATH, "/health");
    }

    /** The RPC workers this backend's llama-server offloads to. */
    public List<String> workers() {
        String list = spec.labels().getOrDefault(RpcWorkers.HEAD_LABEL, "");
        return list.isEmpty() ? List.of() : List.of(list.split(","));
    }

    /** The name as Kubernetes takes it (RFC 1123 label: lower case, digits, '-'). */
    public String kubeName() {
        return spec.name().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    }
}
