package systems.onebit.orchestrator.pull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** The catalog against this host: whether each model fits the GPU budget (and by how much), whether it is here. */
public final class CatalogView {

    /** @param room budget left after the model's download size (negative: short by that much); empty without a budget */
    public record Row(ModelCatalog.Entry entry, Optional<Long> room, boolean downloaded) {
        public boolean fits() {
            return room.map(r -> r >= 0).orElse(false);
        }
    }

    private final ModelCatalog catalog;
    private final HfCache cache;
    private final String hubHost;

    public CatalogView(ModelCatalog catalog, HfCache cache, String hubHost) {
        this.catalog = catalog;
        this.cache = cache;
        this.hubHost = hubHost;
    }

    /** Rows in catalog order; {@code budget} is the GPU-usable memory in bytes, when known. */
    public List<Row> rows(Optional<Long> budget) {
        return catalog.entries().stream().map(e -> new Row(e, budget.map(b -> b - e.bytes()), downloaded(e))).toList();
    }

    /** Whether the revision last pulled holds the entry's file (or a file with its quant tag), readable. */
    boolean downloaded(ModelCatalog.Entry entry) {
        if (!(ModelRef.parse(entry.ref(), hubHost) instanceof ModelRef.Hub ref)) {
            return false;
        }
        Optional<String> commit = cache.ref(ref.repo(), ref.revision());
        if (commit.isEmpty()) {
            return false;
        }
        Path snapshot = cache.repoDir(ref.repo()).resolve("snapshots").resolve(commit.get());
        if (ref.file().isPresent()) {
            return Files.isReadable(snapshot.resolve(ref.file().get()));
        }
        try (Stream<Path> files = Files.walk(snapshot)) {
            return files.filter(Files::isReadable).map(p -> snapshot.relativize(p).toString())
                    .anyMatch(p -> p.endsWith(".gguf") && ref.quant().map(q -> RepoFiles.hasQuant(p, q)).orElse(true));
        } catch (IOException e) {
            return false;
        }
    }
}
