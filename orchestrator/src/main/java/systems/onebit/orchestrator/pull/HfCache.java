package systems.onebit.orchestrator.pull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import systems.onebit.orchestrator.fs.LocalFiles;

/**
 * The Hugging Face hub cache, laid out exactly as huggingface_hub does, so files that llama.cpp ({@code -hf}),
 * Lemonade or {@code hf download} fetched are found, and 1bit's are theirs: {@code models--ORG--REPO/blobs/SHA256},
 * {@code snapshots/COMMIT/PATH} as relative links to the blob, {@code refs/REVISION} holding the commit.
 */
public final class HfCache {

    private final Path root;

    public HfCache(Path root) {
        this.root = root;
    }

    /** {@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code ${XDG_CACHE_HOME:-~/.cache}/huggingface/hub}. */
    public static HfCache locate(Map<String, String> env) {
        for (String variable : new String[] {"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"}) {
            String value = env.getOrDefault(variable, "");
            if (!value.isBlank()) {
                return new HfCache(Path.of(value));
            }
        }
        String home = env.getOrDefault("HF_HOME", "");
        if (home.isBlank()) {
            String xdg = env.getOrDefault("XDG_CACHE_HOME", "");
            Path cache = xdg.isBlank() ? Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".cache") : Path.of(xdg);
            return new HfCache(cache.resolve("huggingface/hub"));
        }
        return new HfCache(Path.of(home).resolve("hub"));
    }

    public Path root() {
        return root;
    }

    public Path repoDir(String repo) {
        return root.resolve("models--" + repo.replace("/", "--"));
    }

    public Path blob(String repo, String sha256) {
        return repoDir(repo).resolve("blobs").resolve(sha256);
    }

    /** Where a download in progress is kept: huggingface_hub's name, so either tool can resume the other's. */
    public Path incomplete(String repo, String sha256) {
        return repoDir(repo).resolve("blobs").resolve(sha256 + ".incomplete");
    }

    public Path snapshot(String repo, String commit, String path) {
        return repoDir(repo).resolve("snapshots").resolve(commit).resolve(path);
    }

    /** The commit a revision ({@code main}) pointed to at the last download; empty when never fetched. */
    public Optional<String> ref(String repo, String revision) {
        try {
            String commit = Files.readString(repoDir(repo).resolve("refs").resolve(revision), StandardCharsets.UTF_8).strip();
            return commit.isEmpty() ? Optional.empty() : Optional.of(commit);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The file's blob when it is already complete here (size checked; the caller verifies the hash once). */
    public Optional<Path> present(String repo, RepoFiles.RepoFile file) {
        if (file.sha256().isEmpty()) {
            return Optional.empty();
        }
        Path blob = blob(repo, file.sha256().get());
        try {
            return Files.isRegularFile(blob) && Files.size(blob) == file.size() ? Optional.of(blob) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Finishes a file: the verified download becomes its blob (a rename), then the snapshot's relative link, then the
     * revision's ref: a reader never sees a link to a missing or partial blob. Returns the snapshot path.
     */
    public Path commit(String repo, String commit, String revision, RepoFiles.RepoFile file, Path verified) throws IOException {
        String sha = file.sha256().orElseThrow(() -> new IOException(file.path() + " has no sha256 to name its blob"));
        Path blob = blob(repo, sha);
        Files.createDirectories(blob.getParent());
        if (!verified.equals(blob)) {
            Files.move(verified, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        Path link = snapshot(repo, commit, file.path());
        Files.createDirectories(link.getParent());
        Path target = link.getParent().relativize(blob);
        Path tmp = link.resolveSibling(link.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, target);
        Files.move(tmp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Path ref = repoDir(repo).resolve("refs").resolve(revision);
        Files.createDirectories(ref.getParent());
        if (!ref(repo, revision).equals(Optional.of(commit))) {
            LocalFiles.replace(ref, commit, false);
        }
        return link;
    }
}
