package systems.onebit.orchestrator.export;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import systems.onebit.orchestrator.engine.ContainerSpec;
import systems.onebit.orchestrator.toolbox.SpecLabel;

/**
 * A toolbox as a Podman Quadlet {@code .container} unit: only keys of podman-systemd.unit(5)'s [Container] table,
 * each the {@code podman run} option that `toolbox create` gives Podman's API (init, devices, groups, security
 * options, limits, read-only model mounts, host network, the full command as the entrypoint).
 */
final class QuadletUnit {

    static final String MARKER = "# Written by `1bit export quadlet`";
    static final String TARGET = "1bit.target";
    static final String PROXY_UNIT = "1bit-proxy.service";

    private static final ObjectMapper JSON = new ObjectMapper();

    private QuadletUnit() {
    }

    static String render(Exported e, List<Exported> all) {
        ContainerSpec spec = e.spec();
        StringBuilder out = new StringBuilder(MARKER).append(" from toolbox '").append(e.name())
                .append("'; export again after `toolbox create` changes it.\n");
        out.append("[Unit]\n");
        out.append("Description=1bit ").append(e.rpcWorker() ? "RPC worker " : "toolbox backend ").append(e.name())
                .append(" (").append(spec.image()).append(")\n");
        out.append("PartOf=").append(TARGET).append('\n');
        if (!e.rpcWorker()) {
            out.append("Before=").append(PROXY_UNIT).append('\n');
        }
        for (Exported other : all) {
            if (other.rpcWorker() && e.workers().contains(other.address())) {
                // The head checks its workers at start: they come up first.
                out.append("Wants=").append(other.name()).append(".service\n");
                out.append("After=").append(other.name()).append(".service\n");
            }
        }
        out.append("\n[Container]\n");
        out.append("ContainerName=").append(spec.name()).append('\n');
        out.append("Image=").append(spec.image()).append('\n');
        if (!spec.entrypoint().isEmpty()) {
            out.append("Entrypoint=").append(json(spec.entrypoint())).append('\n');
        }
        new TreeMap<>(spec.environment()).forEach((k, v) -> out.append("Environment=").append(quote(k + "=" + v)).append('\n'));
        Map<String, String> labels = new TreeMap<>(spec.labels());
        labels.put(SpecLabel.KEY, SpecLabel.encode(spec));  // so `1bit toolbox list` and export see it too
        labels.forEach((k, v) -> out.append("Label=").append(quote(k + "=" + v)).append('\n'));
        spec.devices().forEach(d -> out.append("AddDevice=").append(d.hostPath()).append(':').append(d.containerPath()).append('\n'));
        spec.groups().forEach(g -> out.append("GroupAdd=").append(g).append('\n'));
        for (String opt : spec.securityOpt()) {
            if (opt.equals("label=disable")) {
                out.append("SecurityLabelDisable=true\n");
            } else if (opt.startsWith("seccomp=")) {
                out.append("SeccompProfile=").append(opt.substring("seccomp=".length())).append('\n');
            } else if (opt.equals("no-new-privileges")) {
                out.append("NoNewPrivileges=true\n");
            } else {
                out.append("PodmanArgs=").append(quote("--security-opt=" + opt)).append('\n');
            }
        }
        spec.ulimits().forEach(u -> out.append("Ulimit=").append(u.name()).append('=').append(u.soft()).append(':')
                .append(u.hard()).append('\n'));
        spec.mounts().forEach(m -> out.append("Volume=").append(m.hostPath()).append(':').append(m.containerPath()).append(":ro\n"));
        spec.volumes().forEach(v -> out.append("Volume=").append(v.name()).append(':').append(v.containerPath()).append('\n'));
        if (spec.hostNetwork()) {
            out.append("Network=host\n");
        }
        out.append("RunInit=true\n");
        out.append("\n[Service]\n");
        out.append("Restart=on-failure\n");
        out.append("# A first start may pull an image of several GB.\nTimeoutStartSec=900\n");
        out.append("\n[Install]\nWantedBy=").append(TARGET).append('\n');
        return out.toString();
    }

    static String target(List<Exported> all) {
        StringBuilder out = new StringBuilder(MARKER).append(".\n[Unit]\n");
        out.append("Description=1bit: toolbox backends and RPC workers, and the proxy in front of them\n");
        out.append("Wants=").append(PROXY_UNIT).append('\n');
        for (Exported e : all) {
            out.append("Wants=").append(e.name()).append(".service\n");
        }
        out.append("\n[Install]\nWantedBy=default.target\n");
        return out.toString();
    }

    /** A systemd word in double quotes (systemd.syntax(7)): backslash and quote escaped, % doubled as a specifier. */
    static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"").replace("%", "%%") + '"';
    }

    private static String json(List<String> values) {
        try {
            return JSON.writeValueAsString(values).replace("%", "%%");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
