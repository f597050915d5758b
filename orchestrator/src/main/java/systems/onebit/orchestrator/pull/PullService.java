package systems.onebit.orchestrator.pull;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.net.URI;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.host.GpuMemory;
import systems.onebit.orchestrator.ondemand.ModelMemory;
import systems.onebit.orchestrator.pull.RepoFiles.RepoFile;
import systems.onebit.orchestrator.registry.ModelEntry;
import systems.onebit.orchestrator.registry.RegistryStore;

/**
 * `1bit pull`: a reference to files in the Hugging Face cache, fetched only where missing (a file already there,
 * from any tool, is verified and reused), then registered as a model unless asked not to.
 */
public final class PullService {

    /**
     * @param context  tokens per slot to register with (0: the model's own)
     * @param flavor   the toolbox flavor to register with; empty: the catalog's, else vulkan-radv
     */
    public record Request(String ref, Optional<String> alias, long context, Optional<String> flavor, boolean register) {
    }

    /**
     * What a pull did.
     *
     * @param model      the model's files in the cache (snapshot paths; shards first to last)
     * @param downloaded bytes transferred by this pull
     * @param reused     bytes found already complete in the cache
     */
    public record Pulled(String repo, List<Path> model, Optional<Path> mmproj, long downloaded, long reused,
                         Optional<ModelEntry> registered, List<String> warnings) {
        public Pulled {
            model = List.copyOf(model);
            warnings = List.copyOf(warnings);
        }
    }

    /** Transfer progress, per file: bytes on disk so far of {@code total}. */
    public interface Progress {
        /** Before the first file: every file of the pull, in order, and their bytes in all. */
        default void plan(List<String> files, long bytes) {
        }

        void update(String file, long done, long total);

        /** The file is complete: {@code how} is "downloaded" or "already here". */
        void done(String file, long bytes, String how);
    }

    /**
     * @param attempts  transfers tried per file before giving up (each resumes the last)
     * @param urlModels where a model from a plain URL (not the Hub) is kept: {@code HOST/FILE} under it
     */
    public record Settings(int attempts, Duration firstBackoff, Path urlModels) {
    }

    private final HubClient hub;
    private final HfCache cache;
    private final ModelCatalog catalog;
    private final RegistryStore registry;
    private final Supplier<Optional<GpuMemory.Budget>> budget;
    private final Settings settings;
    private final String hubHost;

    public PullService(HubClient hub, String hubHost, HfCache cache, ModelCatalog catalog, RegistryStore registry,
                       Supplier<Optional<GpuMemory.Budget>> budget, Settings settings) {
        this.hub = hub;
        this.hubHost = hubHost;
        this.cache = cache;
        this.catalog = catalog;
        this.registry = registry;
        this.budget = budget;
        this.settings = settings;
    }

    public Pulled pull(Request request, Progress progress) {
        ModelRef ref = ModelRef.parse(request.ref(), hubHost);
        Optional<ModelCatalog.Entry> known = Optional.empty();
        if (ref instanceof ModelRef.Catalog(String name)) {
            known = Optional.of(catalog.require(name));
            ref = ModelRef.parse(known.get().ref(), hubHost);
        }
        if (ref instanceof ModelRef.Url(URI url)) {
            return pullUrl(request, url, progress);
        }
        if (!(ref instanceof ModelRef.Hub hubRef)) {
            throw new IllegalStateException("unexpected reference " + ref);
        }
        HubClient.Listing listing = hub.list(hubRef.repo(), hubRef.revision());
        RepoFiles.Choice choice = RepoFiles.choose(hubRef, listing.files());
        List<RepoFile> all = new ArrayList<>(choice.model());
        choice.mmproj().ifPresent(all::add);
        requireSpace(hubRef.repo(), all);
        progress.plan(all.stream().map(RepoFile::path).toList(), all.stream().mapToLong(RepoFile::size).sum());

        long downloaded = 0;
        long reused = 0;
        List<Path> paths = new ArrayList<>();
        for (RepoFile file : all) {
            Path snapshot = cache.snapshot(hubRef.repo(), listing.commit(), file.path());
            Optional<Path> here = cache.present(hubRef.repo(), file);
            if (here.isPresent() && (Files.isSymbolicLink(snapshot) || verifies(here.get(), file))) {
                // Ours (verified when written) or another tool's blob whose content is its name: reused.
                commit(hubRef, listing.commit(), file, here.get());
                reused += file.size();
                progress.done(file.path(), file.size(), "already here");
            } else {
                downloaded += fetch(hubRef.repo(), listing.commit(), file, progress);
                commit(hubRef, listing.commit(), file, cache.incomplete(hubRef.repo(), file.sha256().orElseThrow()));
                progress.done(file.path(), file.size(), "downloaded");
            }
            paths.add(snapshot);
        }
        List<Path> model = paths.subList(0, choice.model().size());
        Optional<Path> mmproj = choice.mmproj().map(f -> paths.getLast());
        List<String> warnings = new ArrayList<>();
        boolean registers = request.register() && known.map(ModelCatalog.Entry::registers).orElse(true);
        if (request.register() && !registers) {
            warnings.add(known.orElseThrow().name() + " is a " + known.get().kind() + " model, not one llama-server serves: "
                    + "downloaded, not registered");
        }
        Optional<ModelEntry> registered = registers
                ? Optional.of(register(request, hubRef, known, model.getFirst(), warnings)) : Optional.empty();
        return new Pulled(hubRef.repo(), model, mmproj, downloaded, reused, registered, warnings);
    }

    /**
     * A file from any https server: kept as {@code HOST/FILE} under the settings' folder, resumed like a Hub file,
     * checked against {@code #sha256=HEX} when the URL carries one, registered like any pull.
     */
    private Pulled pullUrl(Request request, URI url, Progress progress) {
        String name = url.getPath() == null ? "" : url.getPath().substring(url.getPath().lastIndexOf('/') + 1);
        if (name.isEmpty() || name.startsWith(".")) {
            throw OrchestratorException.invalid("'" + url + "' does not end in a file name", "give the URL of the .gguf file itself");
        }
        Optional<String> sha = Optional.ofNullable(url.getFragment()).filter(f -> f.matches("sha256=[0-9a-fA-F]{64}"))
                .map(f -> f.substring(7).toLowerCase(Locale.ROOT));
        URI target = URI.create(url.toString().replaceFirst("#.*$", ""));
        Path dest = settings.urlModels().resolve(url.getHost()).resolve(name);
        long size;
        try {
            size = hub.size(target).orElseThrow(() -> OrchestratorException.precondition(target + " does not say how large "
                    + "the file is (no Content-Range or Content-Length)", "download it yourself and `1bit models add` it"));
        } catch (IOException e) {
            throw OrchestratorException.precondition("cannot reach " + target + " (" + e.getMessage() + ")", "check the URL and the network");
        }
        RepoFile file = new RepoFile(name, size, sha);
        progress.plan(List.of(name), size);
        long downloaded = 0;
        long reused = 0;
        List<String> warnings = new ArrayList<>();
        if (Files.isRegularFile(dest) && sizeOf(dest) == size && sha.map(h -> h.equals(Sha256.of(dest))).orElse(true)) {
            reused = size;
            progress.done(name, size, "already here");
        } else {
            Path incomplete = dest.resolveSibling(name + ".incomplete");
            requireSpace(dest.getParent(), size - Math.min(size, sizeOf(incomplete)));
            downloaded = transfer(target.toString(), file, incomplete,
                    (f, done) -> hub.fetch(target, target.toString(), f, incomplete, done), progress);
            try {
                Files.move(incomplete, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw OrchestratorException.precondition("cannot place " + dest + " (" + e.getMessage() + ")",
                        "check that " + dest.getParent() + " is writable");
            }
            progress.done(name, size, "downloaded");
        }
        if (sha.isEmpty()) {
            warnings.add(url.getHost() + " gave no checksum: " + name + " was checked by its size only (add #sha256=HEX "
                    + "to the URL to verify it)");
        }
        ModelRef.Hub asRef = new ModelRef.Hub(url.getHost() + "/" + name, "main", Optional.empty(), Optional.of(name));
        Optional<ModelEntry> registered = request.register()
                ? Optional.of(register(request, asRef, Optional.empty(), dest, warnings)) : Optional.empty();
        return new Pulled(target.toString(), List.of(dest), Optional.empty(), downloaded, reused, registered, warnings);
    }

    /** One attempt of a transfer into {@code incomplete}, reporting bytes on disk. */
    private interface Attempt {
        void run(RepoFile file, java.util.function.LongConsumer done) throws IOException, InterruptedException;
    }

    /** Transfers one file, resuming after a broken connection up to the configured attempts; returns bytes moved. */
    private long fetch(String repo, String commit, RepoFile file, Progress progress) {
        if (file.sha256().isEmpty()) {
            throw OrchestratorException.precondition(file.path() + " in " + repo + " is not an LFS file (no sha256 to check it by)",
                    "pull a GGUF stored in LFS, as every model repository does");
        }
        Path incomplete = cache.incomplete(repo, file.sha256().get());
        return transfer(repo, file, incomplete, (f, done) -> hub.download(repo, commit, f, incomplete, done), progress);
    }

    private long transfer(String what, RepoFile file, Path incomplete, Attempt attempt, Progress progress) {
        long before = sizeOf(incomplete);
        Duration backoff = settings.firstBackoff();
        for (int tries = 1; ; tries++) {
            try {
                attempt.run(file, done -> progress.update(file.path(), done, file.size()));
                return file.size() - Math.min(before, file.size());
            } catch (IOException e) {
                if (tries >= settings.attempts()) {
                    throw OrchestratorException.precondition(file.path() + " (" + what + "): the transfer failed " + tries + " times ("
                                    + e.getMessage() + "); " + sizeOf(incomplete) + " of " + file.size() + " bytes are kept",
                            "run the same `1bit pull` again: it continues where this one stopped");
                }
                sleep(backoff);
                backoff = backoff.multipliedBy(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new OrchestratorException(OrchestratorException.Reason.TIMEOUT, "interrupted: " + sizeOf(incomplete)
                        + " bytes of " + file.path() + " are kept", "run the same `1bit pull` again to continue");
            }
        }
    }

    private void commit(ModelRef.Hub ref, String commit, RepoFile file, Path verified) {
        try {
            cache.commit(ref.repo(), commit, ref.revision(), file, verified);
        } catch (IOException e) {
            throw OrchestratorException.precondition("cannot place " + file.path() + " in " + cache.root() + " (" + e.getMessage() + ")",
                    "check that " + cache.root() + " is writable");
        }
    }

    /** Refuses before any transfer when the bytes still missing do not fit on the cache's file system. */
    private void requireSpace(String repo, List<RepoFile> files) {
        long needed = 0;
        for (RepoFile f : files) {
            if (cache.present(repo, f).isEmpty()) {
                needed += f.size() - Math.min(f.size(), f.sha256().map(s -> sizeOf(cache.incomplete(repo, s))).orElse(0L));
            }
        }
        requireSpace(cache.repoDir(repo), needed);
    }

    private static void requireSpace(Path dir, long needed) {
        try {
            Files.createDirectories(dir);
            FileStore store = Files.getFileStore(dir);
            long free = store.getUsableSpace();
            if (free < needed) {
                throw OrchestratorException.precondition("the pull needs " + gib(needed) + " more, and " + dir + " has "
                        + gib(free) + " free", "free some space, or point HF_HUB_CACHE at a larger disk");
            }
        } catch (IOException e) {
            throw OrchestratorException.precondition("cannot use " + dir + " (" + e.getMessage() + ")",
                    "check that it is writable, or set HF_HUB_CACHE");
        }
    }

    private ModelEntry register(Request request, ModelRef.Hub ref, Optional<ModelCatalog.Entry> known, Path model,
                                List<String> warnings) {
        String alias = request.alias().orElseGet(() -> known.map(ModelCatalog.Entry::name).orElseGet(() -> alias(ref, model)));
        String flavor = request.flavor().orElseGet(() -> known.map(ModelCatalog.Entry::flavor).orElse("vulkan-radv"));
        long context = request.context() > 0 ? request.context() : known.map(ModelCatalog.Entry::context).orElse(0L);
        ModelEntry entry = new ModelEntry(alias, model, context, flavor, 1, false);
        Optional<ModelEntry> existing = registry.read().model(alias);
        if (existing.isPresent() && existing.get().path().equals(model)) {
            return existing.get();  // pulled before: nothing to change
        }
        long needs = ModelMemory.estimate(entry).total();
        budget.get().ifPresent(b -> {
            if (needs > b.bytes()) {
                warnings.add(alias + " needs about " + gib(needs) + " and this host's GPU budget is " + gib(b.bytes())
                        + " (" + b.source() + "): it will not load; try a smaller quant or --ctx");
            }
        });
        registry.update(r -> r.withModel(entry));
        return entry;
    }

    /** {@code unsloth/Qwen3-8B-GGUF:Q4_K_M} → {@code qwen3-8b:q4_k_m}; a named file → its name without shard and .gguf. */
    static String alias(ModelRef.Hub ref, Path model) {
        String repoName = ref.repo().substring(ref.repo().indexOf('/') + 1).replaceFirst("(?i)[-_.]gguf$", "");
        if (ref.quant().isPresent()) {
            return (repoName + ":" + ref.quant().get()).toLowerCase(Locale.ROOT);
        }
        return model.getFileName().toString().replaceFirst("(?i)(-\\d{5}-of-\\d{5})?\\.gguf$", "").toLowerCase(Locale.ROOT);
    }

    private static boolean verifies(Path blob, RepoFile file) {
        return file.sha256().map(expected -> expected.equalsIgnoreCase(Sha256.of(blob))).orElse(false);
    }

    private static long sizeOf(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }
}
