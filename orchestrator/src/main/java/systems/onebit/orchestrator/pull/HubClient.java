package systems.onebit.orchestrator.pull;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.json.Trees;
import systems.onebit.orchestrator.pull.RepoFiles.RepoFile;

/**
 * The Hub's protocol as huggingface_hub speaks it: the file listing from {@code /api/models/REPO/tree/REV}, the
 * revision's commit from {@code /api/models/REPO/revision/REV}, files from {@code /REPO/resolve/COMMIT/PATH}
 * followed through their redirect to the storage host by hand, so the token is sent to the Hub only. A download
 * continues an {@code .incomplete} file with a {@code Range} request and is hashed as it streams; a file whose
 * sha256 differs is deleted and reported.
 */
public final class HubClient {

    /** @param token sent as Bearer to the endpoint's host, never to another */
    public record Settings(URI endpoint, Optional<String> token, Duration timeout) {

        /**
         * As huggingface_hub reads them: {@code HF_ENDPOINT} (a mirror), the token from {@code HF_TOKEN}, else the
         * file {@code hf auth login} writes ({@code $HF_TOKEN_PATH}, else {@code $HF_HOME/token}).
         */
        public static Settings fromEnvironment(Map<String, String> env) {
            String endpoint = env.getOrDefault("HF_ENDPOINT", "").isBlank() ? "https://huggingface.co"
                    : env.get("HF_ENDPOINT").replaceAll("/+$", "");
            Optional<String> token = Optional.ofNullable(env.get("HF_TOKEN")).filter(t -> !t.isBlank());
            if (token.isEmpty()) {
                String home = env.getOrDefault("HF_HOME", "");
                Path hfHome = !home.isBlank() ? Path.of(home) : (env.getOrDefault("XDG_CACHE_HOME", "").isBlank()
                        ? Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".cache")
                        : Path.of(env.get("XDG_CACHE_HOME"))).resolve("huggingface");
                Path file = env.getOrDefault("HF_TOKEN_PATH", "").isBlank() ? hfHome.resolve("token") : Path.of(env.get("HF_TOKEN_PATH"));
                try {
                    token = Optional.of(Files.readString(file, StandardCharsets.UTF_8).strip()).filter(t -> !t.isEmpty());
                } catch (IOException e) {
                    token = Optional.empty();  // not logged in: public repositories only
                }
            }
            return new Settings(URI.create(endpoint), token, Duration.ofSeconds(30));
        }

        /** Never prints the token. */
        @Override
        public String toString() {
            return "Settings[" + endpoint + ", " + (token.isPresent() ? "token set" : "no token") + "]";
        }
    }

    /** A revision's files and the commit they belong to. */
    public record Listing(String commit, List<RepoFile> files) {
        public Listing {
            files = List.copyOf(files);
        }
    }

    private static final int MAX_REDIRECTS = 5;

    private final Settings settings;
    private final HttpClient http;

    public HubClient(Settings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout()).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public Listing list(String repo, String revision) {
        String rev = URLEncoder.encode(revision, StandardCharsets.UTF_8);
        JsonNode info = json(repo, "/api/models/" + repo + "/revision/" + rev);
        String commit = info.path("sha").asText("");
        if (commit.isEmpty()) {
            throw OrchestratorException.precondition("the Hub gave no commit for " + repo + "@" + revision, "try again later");
        }
        JsonNode tree = json(repo, "/api/models/" + repo + "/tree/" + commit + "?recursive=true");
        List<RepoFile> files = new ArrayList<>();
        for (JsonNode item : tree) {
            if (!item.path("type").asText().equals("file")) {
                continue;
            }
            JsonNode lfs = item.path("lfs");
            Optional<String> sha = lfs.isObject() ? Optional.of(lfs.path("oid").asText()) : Optional.empty();
            files.add(new RepoFile(item.path("path").asText(), item.path("size").asLong(), sha));
        }
        return new Listing(commit, files);
    }

    /**
     * Fetches {@code file} into {@code incomplete} (continuing what is there) and verifies it; returns the same path,
     * complete. {@code progress} gets the bytes on disk as they grow.
     */
    public Path download(String repo, String commit, RepoFile file, Path incomplete, LongConsumer progress)
            throws IOException, InterruptedException {
        Files.createDirectories(incomplete.getParent());
        MessageDigest sha = Sha256.digest();
        long have = Files.exists(incomplete) ? Files.size(incomplete) : 0;
        if (have > file.size()) {
            Files.delete(incomplete);
            have = 0;
        }
        if (have > 0) {
            try (InputStream old = Files.newInputStream(incomplete)) {
                Sha256.update(sha, old, have);  // the part already here, hashed once
            }
        }
        progress.accept(have);
        if (have < file.size()) {
            URI target = settings.endpoint().resolve("/" + repo + "/resolve/" + commit + "/" + file.path());
            HttpResponse<InputStream> response = send(target, have);
            try (InputStream body = response.body();
                 OutputStream out = Files.newOutputStream(incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                         have > 0 && response.statusCode() == 206 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                if (have > 0 && response.statusCode() != 206) {
                    sha = Sha256.digest();  // the server ignored the range: start over
                    have = 0;
                }
                byte[] buffer = new byte[1 << 20];
                for (int n = body.read(buffer); n >= 0; n = body.read(buffer)) {
                    out.write(buffer, 0, n);
                    sha.update(buffer, 0, n);
                    have += n;
                    progress.accept(have);
                }
            }
        }
        if (have != file.size()) {
            throw new IOException(file.path() + ": the transfer ended at " + have + " of " + file.size() + " bytes");
        }
        String got = HexFormat.of().formatHex(sha.digest());
        if (file.sha256().isPresent() && !file.sha256().get().equalsIgnoreCase(got)) {
            Files.delete(incomplete);
            throw new OrchestratorException(OrchestratorException.Reason.PRECONDITION, file.path() + " from " + repo
                    + " does not match its sha256 (expected " + file.sha256().get() + ", got " + got + "): the file was deleted",
                    "pull again; if it fails the same way, the mirror ($HF_ENDPOINT) serves a different file");
        }
        return incomplete;
    }

    /** GET following redirects by hand: the Authorization header only while on the endpoint's host. */
    private HttpResponse<InputStream> send(URI target, long from) throws IOException, InterruptedException {
        URI at = target;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(at).timeout(settings.timeout()).GET()
                    .header("User-Agent", "1bit-pull");
            if (from > 0) {
                request.header("Range", "bytes=" + from + "-");
            }
            if (sameHost(at) && settings.token().isPresent()) {
                request.header("Authorization", "Bearer " + settings.token().get());
            }
            HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            int status = response.statusCode();
            if (status >= 300 && status < 400 && response.headers().firstValue("Location").isPresent()) {
                response.body().close();
                at = at.resolve(response.headers().firstValue("Location").get());
                continue;
            }
            if (status == 200 || status == 206) {
                return response;
            }
            response.body().close();
            throw refused(target.getPath(), status);
        }
        throw new IOException(target + ": more than " + MAX_REDIRECTS + " redirects");
    }

    private JsonNode json(String repo, String path) {
        URI target = settings.endpoint().resolve(path);
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(settings.timeout()).GET()
                    .header("Accept", "application/json");
            settings.token().ifPresent(t -> request.header("Authorization", "Bearer " + t));
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw refused(repo, response.statusCode());
            }
            return Trees.read(Trees.JSON, response.body());
        } catch (IOException e) {
            throw OrchestratorException.precondition("cannot reach " + settings.endpoint() + " (" + e.getMessage() + ")",
                    "check the network, or set HF_ENDPOINT to a mirror");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OrchestratorException(OrchestratorException.Reason.TIMEOUT, "interrupted", "");
        }
    }

    private OrchestratorException refused(String what, int status) {
        String page = settings.endpoint().resolve("/" + what.replaceFirst("^/", "").replaceFirst("/resolve/.*", "")).toString();
        return switch (status) {
            case 401, 403 -> OrchestratorException.precondition(what + ": the Hub answered " + status
                            + (settings.token().isPresent() ? " for your token" : " without a token") + " (a gated or private repository)",
                    "accept the licence at " + page + " and log in: `hf auth login` (or set HF_TOKEN)");
            case 404 -> OrchestratorException.notFound(what + ": not on the Hub (404)", "check the name at " + page);
            default -> OrchestratorException.precondition(what + ": the Hub answered " + status, "try again later");
        };
    }

    private boolean sameHost(URI at) {
        return at.getHost() != null && at.getHost().equalsIgnoreCase(settings.endpoint().getHost())
                && at.getPort() == settings.endpoint().getPort();
    }
}
