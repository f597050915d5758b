package systems.onebit.orchestrator.registry;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import systems.onebit.orchestrator.OrchestratorException;

/**
 * A registered GGUF model that apps ask for by {@code alias}.
 *
 * @param context  tokens per slot; 0 = the model's own context length
 * @param flavor   the toolbox flavor that runs it
 * @param parallel llama-server slots
 * @param pinned   never unloaded by the proxy (neither to make room for another model nor when idle)
 * @param idleTtlSeconds unloaded by the proxy after this long unused; 0 = the proxy's default
 * @param rpc      llama.cpp RPC workers ({@code host:port}) its llama-server offloads layers to
 */
public record ModelEntry(String alias, Path path, long context, String flavor, int parallel, boolean pinned,
                         long idleTtlSeconds, List<String> rpc) {

    public static final Pattern ALIAS = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}");

    public ModelEntry {
        rpc = List.copyOf(rpc);
        for (String worker : rpc) {
            if (!worker.matches("[^\\s:,]+:\\d{1,5}") && !worker.matches("\\[[0-9a-fA-F:.]+\\]:\\d{1,5}")) {
                throw OrchestratorException.invalid("model '" + alias + "': RPC worker '" + worker + "' is not HOST:PORT",
                        "e.g. --rpc 10.0.0.2:50052");
            }
        }
        if (!ALIAS.matcher(alias).matches()) {
            throw OrchestratorException.invalid("'" + alias + "' is not a valid model alias",
                    "use 1-128 letters, digits, '_', '.', ':', '/' or '-', starting with a letter or digit");
        }
        if (!path.isAbsolute()) {
            throw OrchestratorException.invalid("model '" + alias + "': path " + path + " is not absolute", "give the full path");
        }
        if (idleTtlSeconds < 0) {
            throw OrchestratorException.invalid("model '" + alias + "': the idle TTL must be 0 (the default) or more",
                    "e.g. --ttl 10m");
        }
        if (context < 0 || parallel < 1) {
            throw OrchestratorException.invalid("model '" + alias + "': context must be 0 or more and parallel 1 or more",
                    "e.g. --ctx 8192 --parallel 2");
        }
    }

    public ModelEntry(String alias, Path path, long context, String flavor, int parallel, boolean pinned) {
        this(alias, path, context, flavor, parallel, pinned, 0);
    }

    public ModelEntry(String alias, Path path, long context, String flavor, int parallel, boolean pinned, long idleTtlSeconds) {
        this(alias, path, context, flavor, parallel, pinned, idleTtlSeconds, List.of());
    }

    /** The same model with another context (a client asked for more than it was registered with). */
    public ModelEntry withContext(long value) {
        return new ModelEntry(alias, path, value, flavor, parallel, pinned, idleTtlSeconds, rpc);
    }

    /** Whether a backend started for {@code other} runs this same configuration (a changed entry needs a new one). */
    public boolean sameLaunch(ModelEntry other) {
        return path.equals(other.path) && context == other.context && flavor.equals(other.flavor)
                && parallel == other.parallel && rpc.equals(other.rpc);
    }
}
