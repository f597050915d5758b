package systems.onebit.orchestrator.toolbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.engine.ContainerEngine;
import systems.onebit.orchestrator.manifest.ManifestCatalog;
import systems.onebit.orchestrator.manifest.ToolboxManifest;

/**
 * `1bit toolbox build FLAVOR`: a flavor that is built, not pulled (its manifest names a Containerfile), built by the
 * container engine from that file and 1bit's shipped build context (kernels/), tagged with the manifest's image.
 */
public final class FlavorBuilds {

    private final Supplier<ManifestCatalog> catalog;
    private final ContainerEngine engine;

    public FlavorBuilds(Supplier<ManifestCatalog> catalog, ContainerEngine engine) {
        this.catalog = catalog;
        this.engine = engine;
    }

    /** Builds the flavor's image, reporting the build's output; returns the image's name. */
    public String build(String flavor, Consumer<String> progress) {
        ToolboxManifest manifest = catalog.get().get(flavor);
        String containerfile = ManifestCatalog.containerfile(manifest);
        String name = manifest.containerfile().orElseThrow();
        String fix = "check that the temporary directory is writable and has room (TMPDIR)";
        Path context;
        try {
            context = Files.createTempDirectory("1bit-build-");
        } catch (IOException e) {
            throw new OrchestratorException(OrchestratorException.Reason.IO, "cannot make a build folder ("
                    + e.getMessage() + ")", fix);
        }
        try {
            try {
                BuildContext.writeTo(context);
                Files.writeString(context.resolve(name), containerfile);
            } catch (IOException | UncheckedIOException e) {
                throw new OrchestratorException(OrchestratorException.Reason.IO, "cannot write the build context into "
                        + context + " (" + e.getMessage() + ")", fix);
            }
            engine.build(context, name, manifest.image(), progress);
            return manifest.image();
        } finally {
            deleteQuietly(context);
        }
    }

    /** Throws for a built flavor: its missing image is built (`1bit toolbox build`), never pulled. */
    static void requireBuilt(ToolboxManifest manifest) {
        if (manifest.containerfile().isPresent()) {
            throw OrchestratorException.precondition("image " + manifest.image() + " of flavor " + manifest.flavor()
                    + " is built on this machine, not pulled, and is not built yet",
                    "run `1bit toolbox build " + manifest.flavor() + "` (it compiles llama.cpp: tens of minutes)");
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary folder left behind is harmless
        }
    }
}
