package systems.onebit.orchestrator.pull;

import java.net.URI;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import systems.onebit.orchestrator.OrchestratorException;

/**
 * What `1bit pull REF` was asked for, parsed without any network: a Hugging Face repository with a quant tag
 * (llama.cpp's {@code -hf org/repo:Q4_K_M}) or a file in it, a plain https URL, or a catalog name.
 */
public sealed interface ModelRef {

    /** {@code org/repo}, {@code org/repo:QUANT}, {@code org/repo/path/file.gguf}, {@code hf://…}, a Hub URL. */
    record Hub(String repo, String revision, Optional<String> quant, Optional<String> file) implements ModelRef {
    }

    /** Any other https URL: one file, no listing. */
    record Url(URI url) implements ModelRef {
    }

    /** A name from the Strix Halo catalog. */
    record Catalog(String name) implements ModelRef {
    }

    Pattern REPO = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}");
    Pattern QUANT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]{0,31}");
    Pattern CATALOG = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");

    /** Parses {@code text}; {@code hubHost} is the endpoint's host ({@code huggingface.co} or the mirror's). */
    static ModelRef parse(String text, String hubHost) {
        String ref = text.strip();
        if (ref.startsWith("https://") || ref.startsWith("http://")) {
            URI url = URI.create(ref);
            if (hubHost.equalsIgnoreCase(url.getHost())) {
                Optional<Hub> hub = hubUrl(url.getPath());
                if (hub.isPresent()) {
                    return hub.get();
                }
            }
            if (!"https".equals(url.getScheme()) && !isLoopback(url.getHost())) {
                throw OrchestratorException.invalid("'" + ref + "' is plain http to another host",
                        "use its https:// address (a model downloaded in clear can be altered on the way)");
            }
            return new Url(url);
        }
        String path = ref.startsWith("hf://") ? ref.substring("hf://".length()) : ref;
        if (!path.contains("/")) {
            if (!ref.startsWith("hf://") && CATALOG.matcher(path).matches()) {
                return new Catalog(path);
            }
            throw invalid(ref);
        }
        String[] parts = path.split("/", 3);
        String repoName = parts[1];
        Optional<String> quant = Optional.empty();
        if (parts.length == 2) {
            int colon = repoName.indexOf(':');
            if (colon >= 0) {
                quant = Optional.of(repoName.substring(colon + 1));
                repoName = repoName.substring(0, colon);
                if (!QUANT.matcher(quant.get()).matches()) {
                    throw invalid(ref);
                }
            }
        }
        String repo = parts[0] + "/" + repoName;
        if (!REPO.matcher(repo).matches()) {
            throw invalid(ref);
        }
        Optional<String> file = parts.length == 3 && !parts[2].isEmpty() ? Optional.of(parts[2]) : Optional.empty();
        if (file.isPresent() && (file.get().contains("..") || file.get().startsWith("/") || file.get().contains("\\"))) {
            throw invalid(ref);
        }
        return new Hub(repo, "main", quant.map(q -> q.toUpperCase(Locale.ROOT)), file);
    }

    /** {@code /org/repo/resolve/REV/path} or {@code /org/repo/blob/REV/path} on the Hub itself. */
    private static Optional<Hub> hubUrl(String path) {
        Matcher m = Pattern.compile("/([^/]+/[^/]+)/(?:resolve|blob)/([^/]+)/(.+)").matcher(path);
        if (m.matches() && REPO.matcher(m.group(1)).matches() && !m.group(3).contains("..")) {
            return Optional.of(new Hub(m.group(1), m.group(2), Optional.empty(), Optional.of(m.group(3))));
        }
        return Optional.empty();
    }

    private static boolean isLoopback(String host) {
        return host != null && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]"));
    }

    private static OrchestratorException invalid(String ref) {
        return OrchestratorException.invalid("'" + ref + "' is not a model reference",
                "give org/repo, org/repo:QUANT (e.g. unsloth/Qwen3-8B-GGUF:Q4_K_M), org/repo/path/file.gguf, an https:// "
                        + "URL or a catalog name (`1bit models catalog`)");
    }
}
