package systems.onebit.orchestrator.pull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.ModelEntry;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.toolbox.ModelMounts;

/**
 * `models rm ALIAS --purge`: the files of a model no longer registered, deleted when nothing registered still uses
 * them (compared by real path, so a Hugging Face snapshot link and its blob count as one file). In the cache the
 * blob goes with its link.
 */
public final class ModelPurge {

    private ModelPurge() {
    }

    /** Deletes what only {@code removed} used; returns what was deleted. {@code remaining} no longer lists it. */
    public static List<Path> purge(ModelEntry removed, Registry remaining) {
        Set<Path> used = new HashSet<>();
        for (ModelEntry m : remaining.models()) {
            used.addAll(realFiles(m.path()));
        }
        for (Backend b : remaining.backends()) {
            if (b.kind() == BackendKind.TOOLBOX) {
                b.models().forEach(file -> used.addAll(realFiles(Path.of(file))));
            }
        }
        List<Path> deleted = new ArrayList<>();
        for (Path file : ModelMounts.files(removed.path())) {
            try {
                Path real = file.toRealPath();
                if (used.contains(real)) {
                    continue;
                }
                if (Files.isSymbolicLink(file)) {
                    Files.delete(file);
                    deleted.add(file);
                }
                Files.delete(real);
                deleted.add(real);
            } catch (IOException e) {
                throw OrchestratorException.precondition("cannot delete " + file + " (" + e.getMessage() + ")",
                        "delete it by hand; the model is already unregistered");
            }
        }
        return deleted;
    }

    private static List<Path> realFiles(Path model) {
        List<Path> out = new ArrayList<>();
        try {
            for (Path f : ModelMounts.files(model)) {
                out.add(f.toRealPath());
            }
        } catch (IOException | OrchestratorException e) {
            // a model whose files are already gone protects nothing
        }
        return out;
    }
}
