package systems.onebit.orchestrator.toolbox;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.engine.ContainerEngine;
import systems.onebit.orchestrator.engine.ContainerInfo;
import systems.onebit.orchestrator.engine.ContainerSpec;
import systems.onebit.orchestrator.manifest.ToolboxManifest;

/**
 * A program of a flavor's image run once to its end, with exactly what a toolbox backend of that flavor gets (its
 * devices, groups, limits and the model mounted read-only): {@code llama-bench} for `1bit bench`. The container is
 * removed afterwards, whatever happened.
 */
public final class OneShot {

    /** What the program printed and how it ended. */
    public record Result(String stdout, String stderr, boolean succeeded, String status) {
    }

    private final ToolboxService toolboxes;
    private final ContainerEngine engine;

    public OneShot(ToolboxService toolboxes, ContainerEngine engine) {
        this.toolboxes = toolboxes;
        this.engine = engine;
    }

    /**
     * Runs {@code program} (found beside the flavor's llama-server in its image) with {@code args}; {@code {model}} in
     * them is the model's path inside the container.
     */
    public Result run(ToolboxManifest manifest, Path model, String program, List<String> args, Duration timeout,
                      java.util.function.Consumer<String> progress) throws InterruptedException {
        if (!engine.imageExists(manifest.image())) {
            FlavorBuilds.requireBuilt(manifest);
            engine.pull(manifest.image(), line -> progress.accept("pulling " + manifest.image() + ": " + line));
        }
        String server = manifest.commandFor("127.0.0.1", 0, "").getFirst();
        String binary = server.contains("/") ? server.substring(0, server.lastIndexOf('/') + 1) + program : program;
        String inContainer = manifest.modelMount() + "/" + model.getFileName();
        List<String> command = new ArrayList<>(List.of(binary));
        args.forEach(a -> command.add(a.replace("{model}", inContainer)));
        List<ContainerSpec.DeviceMapping> devices = toolboxes.devicesFor(manifest);
        List<String> warnings = new ArrayList<>();
        String name = "1bit-" + program + "-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("systems.onebit.one-shot", program);
        ContainerSpec spec = new ContainerSpec(name, manifest.image(), command, manifest.environment(), labels, devices,
                ContainerLimits.groupsFor(manifest, devices, toolboxes.limits(), toolboxes.host()), manifest.securityOpt(),
                ContainerLimits.ulimitsFor(manifest, toolboxes.limits(), warnings), ModelMounts.mounts(model, manifest.modelMount()),
                true);
        engine.create(spec);
        try {
            engine.start(name);
            long deadline = System.nanoTime() + timeout.toNanos();
            ContainerInfo info = engine.inspect(name).orElseThrow();
            while (info.state() == ContainerInfo.State.RUNNING || info.state() == ContainerInfo.State.CREATED) {
                if (System.nanoTime() > deadline) {
                    throw new OrchestratorException(OrchestratorException.Reason.TIMEOUT, program + " in " + manifest.image()
                            + " did not finish within " + timeout.toSeconds() + " s", "raise --timeout, or use a smaller -p/-n");
                }
                Thread.sleep(200);
                info = engine.inspect(name).orElseThrow();
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            engine.logs(name, false, out, err);
            String status = info.status();  // "exited (CODE)"
            return new Result(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                    status.endsWith("(0)"), status);
        } finally {
            engine.remove(name, true);
        }
    }
}
