package systems.onebit.orchestrator.registry;

import java.net.URI;
import java.util.List;
import java.util.regex.Pattern;
import systems.onebit.orchestrator.OrchestratorException;

/**
 * One registered backend.
 *
 * @param flavor   toolbox flavor (toolbox backends only; empty otherwise)
 * @param models   model files (toolbox) or model ids the backend is known to serve
 * @param args     extra arguments appended to the backend command
 * @param priority lower sorts first when two backends serve the same model
 * @param apiKeyEnv the environment variable holding the key sent to the backend as Bearer (empty for none): the key
 *                  itself is never stored in the registry
 * @param insecure  a peer reached over plain HTTP beyond loopback (its key travels in clear): allowed only when set
 */
public record Backend(String name, BackendKind kind, URI url, String flavor, List<String> models, List<String> args,
                      int priority, boolean enabled, String apiKeyEnv, boolean insecure) {

    public static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");
    public static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    public static final int DEFAULT_PRIORITY = 100;

    public Backend {
        models = List.copyOf(models);
        args = List.copyOf(args);
        validateName(name);
        String scheme = url.getScheme();
        if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
            throw OrchestratorException.invalid("backend '" + name + "': url '" + url + "' is not an http(s) URL",
                    "give a URL such as http://127.0.0.1:13305");
        }
        if (kind == BackendKind.TOOLBOX && flavor.isBlank()) {
            throw OrchestratorException.invalid("backend '" + name + "': a toolbox backend needs a flavor",
                    "add --flavor (see `1bit toolbox flavors`)");
        }
        if (!apiKeyEnv.isEmpty() && !ENV_NAME.matcher(apiKeyEnv).matches()) {
            throw OrchestratorException.invalid("backend '" + name + "': '" + apiKeyEnv + "' is not an environment variable name",
                    "give the variable's name (e.g. LEMONADE_API_KEY), never the key itself");
        }
        if (kind == BackendKind.PEER && scheme.equals("http") && !loopback(url.getHost()) && !insecure) {
            throw OrchestratorException.invalid("backend '" + name + "': plain http to the peer " + url.getHost()
                    + " would carry its API key and every prompt in clear", "use https://, or, on a private link, mark it "
                    + "insecure (--insecure, or insecure: true in the registry)");
        }
        if (kind != BackendKind.TOOLBOX && !flavor.isBlank()) {
            throw OrchestratorException.invalid("backend '" + name + "': only toolbox backends have a flavor",
                    "drop --flavor, or use --kind toolbox");
        }
    }

    public Backend(String name, BackendKind kind, URI url, String flavor, List<String> models, List<String> args,
                   int priority, boolean enabled) {
        this(name, kind, url, flavor, models, args, priority, enabled, "");
    }

    public Backend(String name, BackendKind kind, URI url, String flavor, List<String> models, List<String> args,
                   int priority, boolean enabled, String apiKeyEnv) {
        this(name, kind, url, flavor, models, args, priority, enabled, apiKeyEnv, false);
    }

    private static boolean loopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]") || host.equals("::1");
    }

    public static void validateName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw OrchestratorException.invalid("'" + name + "' is not a valid name",
                    "use 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit");
        }
    }

    public int port() {
        int port = url.getPort();
        if (port > 0) {
            return port;
        }
        return "https".equals(url.getScheme()) ? 443 : 80;
    }

    public Backend withEnabled(boolean value) {
        return new Backend(name, kind, url, flavor, models, args, priority, value, apiKeyEnv, insecure);
    }
}
