package systems.onebit.orchestrator.toolbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.engine.ContainerSpec.ReadOnlyMount;

/**
 * What to mount so that llama-server in the container sees the model the user named, and every shard of a split
 * GGUF ({@code NAME-00001-of-00003.gguf}) beside it.
 * <ul>
 *   <li>Plain files: the model's directory, read-only, as before.</li>
 *   <li>Links (the Hugging Face cache: {@code snapshots/REV/file.gguf} → {@code ../../blobs/SHA}, which Lemonade and
 *       llama.cpp's {@code -hf} fill too): each file is resolved to its real path and mounted by itself under the
 *       name the user gave, since the link's target lies outside the model's directory and would be broken
 *       inside the container.</li>
 * </ul>
 */
public final class ModelMounts {

    private static final Pattern SPLIT = Pattern.compile("(.*)-(\\d{5})-of-(\\d{5})\\.gguf");

    private ModelMounts() {
    }

    /** The model and, for a split GGUF, all of its shards in order; a missing shard is an error naming it. */
    public static List<Path> files(Path model) {
        Matcher split = SPLIT.matcher(model.getFileName().toString());
        if (!split.matches()) {
            return List.of(model);
        }
        int count = Integer.parseInt(split.group(3));
        List<Path> shards = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            Path shard = model.resolveSibling(String.format("%s-%05d-of-%05d.gguf", split.group(1), i, count));
            if (!Files.isReadable(shard)) {
                throw OrchestratorException.notFound("shard " + shard.getFileName() + " of the split model " + model
                        + " is missing or unreadable", "download every part of the model (" + count + " files) into "
                        + model.getParent());
            }
            shards.add(shard);
        }
        return shards;
    }

    /** The read-only mounts that show {@code model} (and its shards) under {@code mountPoint} in the container. */
    public static List<ReadOnlyMount> mounts(Path model, String mountPoint) {
        List<Path> files = files(model);
        if (files.stream().noneMatch(Files::isSymbolicLink)) {
            return List.of(new ReadOnlyMount(model.getParent().toString(), mountPoint));
        }
        List<ReadOnlyMount> mounts = new ArrayList<>();
        for (Path file : files) {
            try {
                mounts.add(new ReadOnlyMount(file.toRealPath().toString(), mountPoint + "/" + file.getFileName()));
            } catch (IOException e) {
                throw OrchestratorException.notFound("model file " + file + " is a broken link (" + e.getMessage() + ")",
                        "download it again, or give the path of the file itself");
            }
        }
        return mounts;
    }
}
