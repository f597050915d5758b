package systems.onebit.orchestrator.toolbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import systems.onebit.orchestrator.engine.ContainerInfo;
import systems.onebit.orchestrator.engine.ContainerSpec;
import systems.onebit.orchestrator.engine.ContainerSpec.DeviceMapping;
import systems.onebit.orchestrator.engine.ContainerSpec.NamedVolume;
import systems.onebit.orchestrator.engine.ContainerSpec.ReadOnlyMount;
import systems.onebit.orchestrator.engine.ContainerSpec.Ulimit;

/**
 * The spec a toolbox container was created from, kept on the container as a label. Why: an export (Quadlet, kube)
 * must reproduce exactly that container, and Podman's inspect merges in the image's environment, its own default
 * limits and mounts, so the original cannot be told apart from it afterwards. Holds no secret: a toolbox's
 * environment comes from its flavor's manifest.
 */
public final class SpecLabel {

    public static final String KEY = "systems.onebit.spec";

    private static final ObjectMapper JSON = new ObjectMapper();

    private SpecLabel() {
    }

    /** {@code spec} with its own description added to its labels. */
    static ContainerSpec attach(ContainerSpec spec) {
        Map<String, String> labels = new LinkedHashMap<>(spec.labels());
        labels.put(KEY, encode(spec));
        return new ContainerSpec(spec.name(), spec.image(), spec.entrypoint(), spec.environment(), labels, spec.devices(),
                spec.groups(), spec.securityOpt(), spec.ulimits(), spec.mounts(), spec.hostNetwork(), spec.volumes());
    }

    /** The label's value for {@code spec} (also for a unit that runs the same container elsewhere). */
    public static String encode(ContainerSpec spec) {
        ObjectNode root = JSON.createObjectNode();
        root.put("image", spec.image());
        strings(root.putArray("entrypoint"), spec.entrypoint());
        ObjectNode env = root.putObject("environment");
        new java.util.TreeMap<>(spec.environment()).forEach(env::put);
        spec.devices().forEach(d -> root.withArray("devices").addArray().add(d.hostPath()).add(d.containerPath()));
        strings(root.putArray("groups"), spec.groups());
        strings(root.putArray("securityOpt"), spec.securityOpt());
        spec.ulimits().forEach(u -> root.withArray("ulimits").addArray().add(u.name()).add(u.soft()).add(u.hard()));
        spec.mounts().forEach(m -> root.withArray("mounts").addArray().add(m.hostPath()).add(m.containerPath()));
        spec.volumes().forEach(v -> root.withArray("volumes").addArray().add(v.name()).add(v.containerPath()));
        root.put("hostNetwork", spec.hostNetwork());
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The spec the container was made from; empty for a container made before 1bit kept it. */
    public static Optional<ContainerSpec> read(ContainerInfo container) {
        String text = container.label(KEY);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
        Map<String, String> env = new LinkedHashMap<>();
        root.path("environment").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
        Map<String, String> labels = new LinkedHashMap<>(container.labels());
        labels.remove(KEY);
        return Optional.of(new ContainerSpec(container.name(), root.path("image").asText(container.image()),
                texts(root.path("entrypoint")), env, labels,
                pairs(root.path("devices"), p -> new DeviceMapping(p.get(0).asText(), p.get(1).asText())),
                texts(root.path("groups")), texts(root.path("securityOpt")),
                pairs(root.path("ulimits"), p -> new Ulimit(p.get(0).asText(), p.get(1).asLong(), p.get(2).asLong())),
                pairs(root.path("mounts"), p -> new ReadOnlyMount(p.get(0).asText(), p.get(1).asText())),
                root.path("hostNetwork").asBoolean(),
                pairs(root.path("volumes"), p -> new NamedVolume(p.get(0).asText(), p.get(1).asText()))));
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static <T> List<T> pairs(JsonNode array, Function<JsonNode, T> make) {
        List<T> out = new ArrayList<>();
        array.forEach(n -> out.add(make.apply(n)));
        return out;
    }
}
