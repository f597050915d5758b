package systems.onebit.orchestrator.pull;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
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
    private final PieceDownload pieces;

    public HubClient(Settings settings) {
        this(settings, PieceDownload.Settings.defaults().connections());
    }

    /** @param connections parallel range requests per file (1: one stream) */
    public HubClient(Settings settings, int connections) {
        this(settings, new PieceDownload.Settings(Math.max(1, connections), PieceDownload.Settings.defaults().pieceBytes(),
                settings.timeout()));
    }

    HubClient(Settings settings, PieceDownload.Settings pieces) {
        this.pieces = new PieceDownload(pieces);
        this.settings = settings;
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
        return fetch(settings.endpoint().resolve("/" + repo + "/resolve/" + commit + "/" + file.path()), repo, file,
                incomplete, progress);
    }

    /**
     * The size of the file at {@code url} (any https server), from a one-byte range ({@code Content-Range}) or its
     * length; empty when the server says neither.
     */
    public Optional<Long> size(URI url) throws IOException {
        try (HttpLite http = new HttpLite(settings.timeout())) {
            HttpLite.Response r = send(http, url, "bytes=0-0").response();
            r.body().close();
            String range = r.header("content-range");
            if (r.status() == 206 && range.contains("/") && !range.endsWith("/*")) {
                return Optional.of(Long.parseLong(range.substring(range.lastIndexOf('/') + 1).trim()));
            }
            String length = r.header("content-length");
            return r.status() == 200 && !length.isEmpty() ? Optional.of(Long.parseLong(length)) : Optional.empty();
        }
    }

    /** As {@link #download}, from any URL ({@code what} names it in errors); no hash is checked without a sha256. */
    public Path fetch(URI target, String what, RepoFile file, Path incomplete, LongConsumer progress)
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
        // Parallel ranges pay off from two pieces on; a smaller rest comes in one stream.
        Optional<URI> ranged = file.size() - have > pieces.settings().pieceBytes() && pieces.settings().connections() > 1
                ? rangedStorage(target) : Optional.empty();
        if (ranged.isPresent()) {
            try (OutputStream out = Files.newOutputStream(incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND)) {
                long[] onDisk = {have};
                try {
                    pieces.run(ranged.get(), have, file.size(), out, sha, n -> {
                        onDisk[0] = n;
                        progress.accept(n);
                    });
                } finally {
                    have = onDisk[0];
                }
            }
        } else if (have < file.size()) {
            try (HttpLite http = new HttpLite(settings.timeout())) {
                Located located = send(http, target, have > 0 ? "bytes=" + have + "-" : "");
                HttpLite.Response response = located.response();
                try (InputStream body = response.body();
                     OutputStream out = Files.newOutputStream(incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                             have > 0 && response.status() == 206 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                    if (have > 0 && response.status() != 206) {
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
        }
        if (have != file.size()) {
            throw new IOException(file.path() + ": the transfer ended at " + have + " of " + file.size() + " bytes");
        }
        String got = HexFormat.of().formatHex(sha.digest());
        if (file.sha256().isPresent() && !file.sha256().get().equalsIgnoreCase(got)) {
            Files.delete(incomplete);
            throw new OrchestratorException(OrchestratorException.Reason.PRECONDITION, file.path() + " from " + what
                    + " does not match its sha256 (expected " + file.sha256().get() + ", got " + got + "): the file was deleted",
                    "pull again; if it fails the same way, the mirror ($HF_ENDPOINT) serves a different file");
        }
        return incomplete;
    }

    /** GET following redirects by hand: the Authorization header only while on the endpoint's host. */
    /**
     * Where the file's bytes are served from, when that server honours ranges: one byte asked through the Hub's
     * redirect (the token goes to the Hub only); empty when the answer is not a 206.
     */
    private Optional<URI> rangedStorage(URI target) throws IOException {
        try (HttpLite http = new HttpLite(settings.timeout())) {
            Located probe = send(http, target, "bytes=0-0");
            try (InputStream body = probe.response().body()) {
                body.readAllBytes();
            }
            return probe.response().status() == 206 ? Optional.of(probe.at()) : Optional.empty();
        }
    }

    /** An answer and the URL that gave it, after redirects. */
    private record Located(URI at, HttpLite.Response response) {
    }

    /** GET following redirects by hand: the Authorization header only while on the endpoint's host. */
    private Located send(HttpLite http, URI target, String range) throws IOException {
        URI at = target;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            Map<String, String> headers = new LinkedHashMap<>();
            if (!range.isEmpty()) {
                headers.put("Range", range);
            }
            if (sameHost(at) && settings.token().isPresent()) {
                headers.put("Authorization", "Bearer " + settings.token().get());
            }
            HttpLite.Response response = http.get(at, headers);
            int status = response.status();
            if (status >= 300 && status < 400 && !response.header("location").isEmpty()) {
                response.body().close();
                at = at.resolve(response.header("location"));
                continue;
            }
            if (status == 200 || status == 206) {
                return new Located(at, response);
            }
            response.body().close();
            throw refused(target.getPath(), status);
        }
        throw new IOException(target + ": more than " + MAX_REDIRECTS + " redirects");
    }

    private JsonNode json(String repo, String path) {
        URI target = settings.endpoint().resolve(path);
        try (HttpLite http = new HttpLite(settings.timeout())) {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Accept", "application/json");
            settings.token().ifPresent(t -> headers.put("Authorization", "Bearer " + t));
            HttpLite.Response response = http.get(target, headers);
            byte[] body;
            try (InputStream in = response.body()) {
                body = in.readNBytes(64 << 20);
            }
            if (response.status() != 200) {
                throw refused(repo, response.status());
            }
            return Trees.read(Trees.JSON, new String(body, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw OrchestratorException.precondition("cannot reach " + settings.endpoint() + " (" + e.getMessage() + ")",
                    "check the network, or set HF_ENDPOINT to a mirror");
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
