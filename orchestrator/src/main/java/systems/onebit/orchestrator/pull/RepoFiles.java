package systems.onebit.orchestrator.pull;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import systems.onebit.orchestrator.OrchestratorException;

/**
 * Which files of a repository a pull fetches, from the Hub's file listing: the one model a reference names (every
 * shard of a split GGUF, in order) and the vision projector ({@code mmproj}) when the repository has one. Pure.
 */
public final class RepoFiles {

    /**
     * One file of a repository as the Hub's tree API lists it.
     *
     * @param sha256 the LFS object id (the blob's name in the cache); empty for a file not in LFS
     */
    public record RepoFile(String path, long size, Optional<String> sha256) {
        String name() {
            return path.substring(path.lastIndexOf('/') + 1);
        }
    }

    /** What to download: the model's files (shards first to last) and its projector, if any. */
    public record Choice(List<RepoFile> model, Optional<RepoFile> mmproj) {
        public Choice {
            model = List.copyOf(model);
        }

        public long bytes() {
            return model.stream().mapToLong(RepoFile::size).sum() + mmproj.map(RepoFile::size).orElse(0L);
        }
    }

    /** llama.cpp's {@code -hf} takes this quant when none is named and the repository has several. */
    public static final String DEFAULT_QUANT = "Q4_K_M";

    private static final Pattern SHARD = Pattern.compile("(.*)-(\\d{5})-of-(\\d{5})\\.gguf", Pattern.CASE_INSENSITIVE);

    private RepoFiles() {
    }

    public static Choice choose(ModelRef.Hub ref, List<RepoFile> listing) {
        List<RepoFile> ggufs = listing.stream().filter(f -> f.path().toLowerCase(Locale.ROOT).endsWith(".gguf")).toList();
        Map<String, List<RepoFile>> models = new LinkedHashMap<>();
        List<RepoFile> projectors = new ArrayList<>();
        for (RepoFile f : ggufs) {
            if (f.name().toLowerCase(Locale.ROOT).contains("mmproj")) {
                projectors.add(f);
            } else {
                Matcher m = SHARD.matcher(f.path());
                models.computeIfAbsent(m.matches() ? m.group(1) : f.path(), k -> new ArrayList<>()).add(f);
            }
        }
        models.values().forEach(group -> group.sort(Comparator.comparing(RepoFile::path)));
        if (ref.file().isPresent()) {
            String wanted = ref.file().get();
            RepoFile named = listing.stream().filter(f -> f.path().equals(wanted)).findFirst().orElseThrow(() ->
                    OrchestratorException.notFound(ref.repo() + " has no file " + wanted,
                            "its GGUF files: " + names(ggufs)));
            Matcher m = SHARD.matcher(named.path());
            List<RepoFile> group = m.matches() ? models.getOrDefault(m.group(1), List.of(named)) : List.of(named);
            return new Choice(complete(ref, group), projectors.isEmpty() || isProjector(named) ? Optional.empty()
                    : Optional.of(projector(projectors)));
        }
        if (models.isEmpty()) {
            throw OrchestratorException.notFound(ref.repo() + " has no GGUF model file",
                    "pull a repository with GGUF files (their names end in .gguf), or a file URL");
        }
        List<Map.Entry<String, List<RepoFile>>> matching;
        if (ref.quant().isPresent()) {
            matching = models.entrySet().stream().filter(e -> hasQuant(e.getKey(), ref.quant().get())).toList();
            if (matching.isEmpty()) {
                throw OrchestratorException.notFound(ref.repo() + " has no " + ref.quant().get() + " file",
                        "its models: " + String.join(", ", models.keySet()));
            }
        } else if (models.size() == 1) {
            matching = List.copyOf(models.entrySet());
        } else {
            matching = models.entrySet().stream().filter(e -> hasQuant(e.getKey(), DEFAULT_QUANT)).toList();
            if (matching.isEmpty()) {
                throw OrchestratorException.invalid(ref.repo() + " has several models and no " + DEFAULT_QUANT,
                        "name one: " + String.join(", ", models.keySet().stream().map(k -> ref.repo() + ":" + quantOf(k)).toList()));
            }
        }
        if (matching.size() > 1) {
            throw OrchestratorException.invalid(ref.repo() + (ref.quant().isPresent() ? ":" + ref.quant().get() : "")
                            + " matches " + matching.size() + " models: " + String.join(", ", matching.stream().map(Map.Entry::getKey).toList()),
                    "name the file: " + ref.repo() + "/" + matching.getFirst().getValue().getFirst().path());
        }
        return new Choice(complete(ref, matching.getFirst().getValue()),
                projectors.isEmpty() ? Optional.empty() : Optional.of(projector(projectors)));
    }

    /** A split whose listing lacks a shard is refused here, before anything is downloaded. */
    private static List<RepoFile> complete(ModelRef.Hub ref, List<RepoFile> group) {
        Matcher m = SHARD.matcher(group.getFirst().path());
        if (m.matches() && Integer.parseInt(m.group(3)) != group.size()) {
            throw OrchestratorException.notFound(ref.repo() + " lists " + group.size() + " of the " + Integer.parseInt(m.group(3))
                    + " shards of " + m.group(1), "the repository is incomplete at this revision: ask its owner, or pull another quant");
        }
        return group;
    }

    private static boolean isProjector(RepoFile f) {
        return f.name().toLowerCase(Locale.ROOT).contains("mmproj");
    }

    /** The F16 projector when there are several (the usual choice), else the first by name. */
    private static RepoFile projector(List<RepoFile> projectors) {
        return projectors.stream().filter(p -> p.name().toLowerCase(Locale.ROOT).contains("f16")).findFirst()
                .orElse(projectors.stream().min(Comparator.comparing(RepoFile::path)).orElseThrow());
    }

    /** The tag as a whole word of the name: {@code Q4_K} does not match {@code Q4_K_M}. */
    static boolean hasQuant(String path, String quant) {
        String upper = path.toUpperCase(Locale.ROOT);
        String tag = quant.toUpperCase(Locale.ROOT);
        for (int at = upper.indexOf(tag); at >= 0; at = upper.indexOf(tag, at + 1)) {
            boolean before = at == 0 || "-._/".indexOf(upper.charAt(at - 1)) >= 0;
            int end = at + tag.length();
            boolean after = end == upper.length() || "-./".indexOf(upper.charAt(end)) >= 0;
            if (before && after) {
                return true;
            }
        }
        return false;
    }

    /** The quant-looking part of a model's name, for a hint: after the last '-' or '.'. */
    private static String quantOf(String model) {
        String name = model.substring(model.lastIndexOf('/') + 1).replaceAll("(?i)\\.gguf$", "");
        int cut = Math.max(name.lastIndexOf('-'), name.lastIndexOf('.'));
        return cut >= 0 ? name.substring(cut + 1) : name;
    }

    private static String names(List<RepoFile> files) {
        return files.isEmpty() ? "none" : String.join(", ", files.stream().map(RepoFile::path).toList());
    }
}
