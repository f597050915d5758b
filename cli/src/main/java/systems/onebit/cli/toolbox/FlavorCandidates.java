package systems.onebit.cli.toolbox;

import java.util.Iterator;
import systems.onebit.orchestrator.manifest.ManifestCatalog;

/** Completion candidates for --flavor: the embedded flavors. */
public final class FlavorCandidates implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
        return ManifestCatalog.EMBEDDED.iterator();
    }
}
