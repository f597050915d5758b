package systems.onebit.orchestrator.export;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Collectors;
import systems.onebit.orchestrator.engine.ContainerSpec;

/**
 * A toolbox as a Kubernetes Pod that {@code podman kube play} and a cluster both accept: host network, the device
 * nodes as {@code CharDevice} host paths (Podman turns them into devices; a cluster needs a device plugin or a
 * privileged pod for them), the numeric device groups as supplemental groups, the model as a read-only host path and
 * a readiness probe on the health path. What the Pod schema cannot say is in Podman's own annotations: limits
 * ({@code io.podman.annotations.ulimit}) and the init process, honoured by {@code podman kube play} from Podman 4.5.
 */
final class KubeYaml {

    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)  // a command's "8192" is a string
            .build());

    private KubeYaml() {
    }

    static String render(List<Exported> all) {
        StringBuilder out = new StringBuilder("# Written by `1bit export kube`: podman kube play FILE, or kubectl apply -f FILE\n");
        for (int i = 0; i < all.size(); i++) {
            out.append(i == 0 ? "" : "---\n").append(pod(all.get(i)));
        }
        return out.toString();
    }

    private static String pod(Exported e) {
        ContainerSpec spec = e.spec();
        ObjectNode pod = YAML.createObjectNode();
        pod.put("apiVersion", "v1");
        pod.put("kind", "Pod");
        ObjectNode meta = pod.putObject("metadata");
        meta.put("name", e.kubeName() + "-pod");  // Podman's pods and containers share one namespace of names
        meta.putObject("labels").put("app.kubernetes.io/name", e.kubeName()).put("app.kubernetes.io/managed-by", "1bit");
        ObjectNode annotations = meta.putObject("annotations");
        // A Pod's label values are limited to 63 plain characters, so 1bit's labels travel as annotations, and
        // podman kube play (4.x) refuses annotations longer than that too: a long model path stays out.
        new TreeMap<>(spec.labels()).forEach((k, v) -> {
            if (v.length() <= 63) {
                annotations.put(k, v);
            }
        });
        if (!spec.ulimits().isEmpty()) {
            annotations.put("io.podman.annotations.ulimit", spec.ulimits().stream()
                    .map(u -> u.name() + "=" + u.soft() + ":" + u.hard()).collect(Collectors.joining(",")));
        }
        annotations.put("io.podman.annotations.init/" + e.kubeName(), "true");
        ObjectNode podSpec = pod.putObject("spec");
        podSpec.put("hostNetwork", spec.hostNetwork());
        podSpec.put("restartPolicy", "Always");
        ObjectNode security = podSpec.putObject("securityContext");
        ArrayNode groups = security.putArray("supplementalGroups");
        spec.groups().stream().filter(g -> g.chars().allMatch(Character::isDigit)).forEach(g -> groups.add(Long.parseLong(g)));
        if (spec.securityOpt().contains("label=disable")) {
            security.putObject("seLinuxOptions").put("type", "spc_t");
        }
        if (spec.securityOpt().contains("seccomp=unconfined")) {
            security.putObject("seccompProfile").put("type", "Unconfined");
        }
        ObjectNode container = podSpec.putArray("containers").addObject();
        container.put("name", e.kubeName());
        container.put("image", spec.image());
        spec.entrypoint().forEach(container.withArray("command")::add);
        new TreeMap<>(spec.environment()).forEach((k, v) -> container.withArray("env").addObject().put("name", k).put("value", v));
        ArrayNode mounts = container.putArray("volumeMounts");
        ArrayNode volumes = podSpec.putArray("volumes");
        int n = 0;
        for (ContainerSpec.DeviceMapping d : spec.devices()) {
            String name = "device-" + n++;
            mounts.addObject().put("name", name).put("mountPath", d.containerPath());
            volumes.addObject().put("name", name).putObject("hostPath").put("path", d.hostPath()).put("type", "CharDevice");
        }
        n = 0;
        for (ContainerSpec.ReadOnlyMount m : spec.mounts()) {
            String name = "model-" + n++;
            mounts.addObject().put("name", name).put("mountPath", m.containerPath()).put("readOnly", true);
            volumes.addObject().put("name", name).putObject("hostPath").put("path", m.hostPath());
        }
        n = 0;
        for (ContainerSpec.NamedVolume v : spec.volumes()) {
            String name = "data-" + n++;
            mounts.addObject().put("name", name).put("mountPath", v.containerPath());
            volumes.addObject().put("name", name).putObject("persistentVolumeClaim").put("claimName", v.name());
        }
        ObjectNode probe = container.putObject("readinessProbe");
        String host = e.address().substring(0, e.address().lastIndexOf(':'));
        if (e.rpcWorker()) {
            probe.putObject("tcpSocket").put("host", host).put("port", e.port());
        } else {
            probe.putObject("httpGet").put("host", host).put("path", e.healthPath()).put("port", e.port());
        }
        probe.put("periodSeconds", 5);
        probe.put("failureThreshold", 120);  // a large model takes minutes to load
        try {
            return YAML.writeValueAsString(pod);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** The groups a Pod cannot carry: names, resolved only in the image's own group file. */
    static List<String> namedGroups(Exported e) {
        return e.spec().groups().stream().filter(g -> !g.chars().allMatch(Character::isDigit)).toList();
    }
}
