package systems.onebit.orchestrator.lanes;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.engine.ContainerEngine;
import systems.onebit.orchestrator.engine.ContainerInfo;
import systems.onebit.orchestrator.engine.ContainerSpec;
import systems.onebit.orchestrator.probe.HttpWaitStrategy;
import systems.onebit.orchestrator.stack.Lane;
import systems.onebit.orchestrator.stack.StackReport;

/**
 * Open WebUI as the Podman container {@code 1bit-open-webui}: pointed at the proxy ({@code OPENAI_API_BASE_URL}, and
 * its key when the proxy has one), on the host network bound to loopback, its data in a named volume kept by
 * {@code down} and by upgrades. A container whose settings changed (image, URL, key) is made again.
 */
public final class WebuiContainer implements Lane {

    public static final String NAME = "open-webui";
    public static final String CONTAINER = "1bit-open-webui";
    static final String LABEL = "systems.onebit.app";
    static final String CONFIG_LABEL = "systems.onebit.app.config";

    private final Supplier<ContainerEngine> engine;
    private final WebuiManifest manifest;
    private final URI proxyApi;
    private final Optional<String> proxyKey;

    /** @param proxyApi the proxy's OpenAI base URL ({@code http://127.0.0.1:13306/v1}) */
    public WebuiContainer(Supplier<ContainerEngine> engine, WebuiManifest manifest, URI proxyApi, Optional<String> proxyKey) {
        this.engine = engine;
        this.manifest = manifest;
        this.proxyApi = proxyApi;
        this.proxyKey = proxyKey;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String describe() {
        return "Podman container " + CONTAINER + " (" + manifest.image() + ")";
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + manifest.port());
    }

    ContainerSpec spec() {
        Map<String, String> env = new LinkedHashMap<>(manifest.environment());
        env.put("OPENAI_API_BASE_URL", proxyApi.toString());
        proxyKey.ifPresent(k -> env.put("OPENAI_API_KEY", k));
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(LABEL, NAME);
        // A hash, not the settings: the key must not show in labels.
        labels.put(CONFIG_LABEL, hash(manifest.image() + "\n" + new java.util.TreeMap<>(env)));
        return new ContainerSpec(CONTAINER, manifest.image(), List.of(), env, labels, List.of(), List.of(), List.of(),
                List.of(), List.of(), true, List.of(new ContainerSpec.NamedVolume(manifest.dataVolume(), manifest.dataPath())));
    }

    @Override
    public StackReport up(Duration timeout) {
        try {
            ContainerEngine podman = engine.get();
            ContainerSpec spec = spec();
            Optional<ContainerInfo> existing = podman.inspect(CONTAINER);
            if (existing.isPresent() && !existing.get().label(LABEL).equals(NAME)) {
                throw OrchestratorException.conflict("a container named " + CONTAINER + " exists and was not made by 1bit",
                        "remove or rename it (podman rm " + CONTAINER + ")");
            }
            boolean same = existing.isPresent() && existing.get().label(CONFIG_LABEL).equals(spec.labels().get(CONFIG_LABEL));
            if (same && existing.get().state() == ContainerInfo.State.RUNNING) {
                waitHealthy(podman, timeout);
                return new StackReport.Unchanged(NAME, "already running on " + url());
            }
            if (existing.isPresent() && !same) {
                podman.remove(CONTAINER, true);  // its settings changed: made again, the data volume stays
            }
            if (!podman.imageExists(spec.image())) {
                podman.pull(spec.image(), line -> { });
            }
            if (!same) {
                podman.create(spec);
            }
            podman.start(CONTAINER);
            try {
                Duration took = waitHealthy(podman, timeout);
                return new StackReport.Changed(NAME, "started container " + CONTAINER + " on " + url() + " in "
                        + took.toMillis() + " ms (data volume " + manifest.dataVolume() + ")");
            } catch (OrchestratorException e) {
                podman.remove(CONTAINER, true);  // nothing half-started
                throw new OrchestratorException(e.reason(), e.getMessage() + "; removed the container again", e.hint(), e);
            }
        } catch (OrchestratorException e) {
            return new StackReport.Failed(NAME, e);
        }
    }

    private Duration waitHealthy(ContainerEngine podman, Duration timeout) {
        return new HttpWaitStrategy(manifest.healthPath(), Duration.ofMillis(100), () -> podman.inspect(CONTAINER)
                .filter(c -> c.state() != ContainerInfo.State.RUNNING)
                .map(c -> "the container stopped (" + c.status() + ")"), "`1bit webui logs`")
                .waitUntilReady(url(), timeout);
    }

    @Override
    public StackReport down(Duration timeout) {
        try {
            ContainerEngine podman = engine.get();
            Optional<ContainerInfo> existing = podman.inspect(CONTAINER);
            if (existing.isEmpty() || !existing.get().label(LABEL).equals(NAME)) {
                return new StackReport.Unchanged(NAME, "no container");
            }
            podman.stop(CONTAINER, timeout);
            podman.remove(CONTAINER, true);
            return new StackReport.Changed(NAME, "stopped and removed " + CONTAINER + " (data volume "
                    + manifest.dataVolume() + " kept)");
        } catch (OrchestratorException e) {
            return new StackReport.Failed(NAME, e);
        }
    }

    private static String hash(String text) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
