package systems.onebit.orchestrator.export;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.engine.ContainerEngine;
import systems.onebit.orchestrator.engine.ContainerInfo;
import systems.onebit.orchestrator.fs.LocalFiles;
import systems.onebit.orchestrator.toolbox.Labels;
import systems.onebit.orchestrator.toolbox.SpecLabel;

/**
 * Writes the toolbox containers 1bit made as Podman Quadlet units or as Kubernetes YAML, so that systemd (through
 * Quadlet), {@code podman kube play} or a cluster runs exactly the same containers instead of {@code 1bit up}.
 * Everything comes from the containers themselves (their {@link SpecLabel}), never from a second description.
 */
public final class ExportService {

    private final ContainerEngine engine;

    public ExportService(ContainerEngine engine) {
        this.engine = engine;
    }

    /** What was written. */
    public record Written(List<Path> files, List<String> notes) {
        public Written {
            files = List.copyOf(files);
            notes = List.copyOf(notes);
        }
    }

    /** The named toolboxes, or with no names every toolbox and RPC worker (never the proxy's on-demand containers). */
    public List<Exported> select(List<String> names) {
        List<ContainerInfo> containers = new ArrayList<>();
        if (names.isEmpty()) {
            engine.list(Map.of(Labels.BACKEND, "")).stream()
                    .filter(c -> !c.labels().containsKey(Labels.ON_DEMAND))
                    .sorted(java.util.Comparator.comparing(ContainerInfo::name))
                    .forEach(containers::add);
            if (containers.isEmpty()) {
                throw OrchestratorException.precondition("there is no toolbox to export",
                        "create one with `1bit toolbox create NAME --flavor F --model FILE`");
            }
        } else {
            for (String name : names) {
                ContainerInfo c = engine.inspect(name).filter(i -> i.labels().containsKey(Labels.BACKEND))
                        .orElseThrow(() -> OrchestratorException.notFound("no toolbox named '" + name + "'",
                                "export takes toolbox backends and RPC workers: see `1bit toolbox list`"));
                containers.add(c);
            }
        }
        return containers.stream().map(c -> new Exported(SpecLabel.read(c).orElseThrow(() ->
                OrchestratorException.precondition("toolbox '" + c.name() + "' was made by an older 1bit, which kept no "
                                + "record of how it was created",
                        "recreate it (`1bit toolbox rm " + c.name() + "`, then `1bit toolbox create`) and export again"))))
                .toList();
    }

    /**
     * One {@code NAME.container} per toolbox into {@code containerDir} and {@code 1bit.target} (which wants them and
     * the proxy's unit) into {@code unitDir}. A file there that 1bit did not write is never replaced.
     */
    public Written quadlet(List<String> names, Path containerDir, Path unitDir) {
        List<Exported> selected = select(names);
        List<Path> files = new ArrayList<>();
        try {
            Files.createDirectories(containerDir);
            Files.createDirectories(unitDir);
            for (Exported e : selected) {
                files.add(write(containerDir.resolve(e.name() + ".container"), QuadletUnit.render(e, selected)));
            }
            files.add(write(unitDir.resolve(QuadletUnit.TARGET), QuadletUnit.target(selected)));
        } catch (IOException ex) {
            throw new OrchestratorException(OrchestratorException.Reason.IO, "cannot write the units (" + ex.getMessage() + ")",
                    "check that the directory is writable, or choose one with --dir");
        }
        List<String> notes = new ArrayList<>();
        for (Exported e : selected) {
            notes.add(e.name() + ".service runs the container '" + e.name() + "' itself: remove the one 1bit made first "
                    + "(`1bit toolbox rm " + e.name() + "`), or the two collide on the name and the port");
        }
        return new Written(files, notes);
    }

    /** A Pod per toolbox, as one multi-document YAML, and what a Pod could not carry. */
    public Kube kube(List<String> names) {
        List<Exported> selected = select(names);
        List<String> notes = new ArrayList<>();
        for (Exported e : selected) {
            notes.add(e.name() + ": the Pod " + e.kubeName() + "-pod listens on " + e.address() + " like the toolbox's "
                    + "container: stop that one first (`1bit toolbox stop " + e.name() + "`)");
            List<String> named = KubeYaml.namedGroups(e);
            if (!named.isEmpty()) {
                notes.add(e.name() + ": group" + (named.size() > 1 ? "s " : " ") + String.join(", ", named)
                        + " left out: a Pod takes numeric groups only (the device nodes' own groups are kept, and they "
                        + "are what grants access)");
            }
        }
        return new Kube(KubeYaml.render(selected), notes);
    }

    /** The YAML, and notes on what it leaves out. */
    public record Kube(String yaml, List<String> notes) {
        public Kube {
            notes = List.copyOf(notes);
        }
    }

    private static Path write(Path file, String text) throws IOException {
        if (Files.exists(file) && !Files.readString(file).startsWith(QuadletUnit.MARKER)) {
            throw OrchestratorException.conflict(file + " exists and was not written by 1bit",
                    "move it away, or export into another directory with --dir");
        }
        LocalFiles.replace(file, text, false);
        return file;
    }
}
