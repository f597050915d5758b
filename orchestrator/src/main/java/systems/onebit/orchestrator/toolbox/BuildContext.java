package systems.onebit.orchestrator.toolbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The files a built flavor's Containerfile copies from its build context: 1bit's kernels/ folder (the kernels'
 * sources and the llama.cpp patch series), shipped inside the jar at {@code systems/onebit/build-context/}.
 */
final class BuildContext {

    private static final String ROOT = "/systems/onebit/build-context";

    private BuildContext() {
    }

    /** Copies the shipped context into {@code dir}; returns the files written, relative to it. */
    static List<Path> writeTo(Path dir) {
        URL root = BuildContext.class.getResource(ROOT);
        if (root == null) {
            throw new IllegalStateException("the build context is missing from the build (" + ROOT + ")");
        }
        try {
            URI uri = root.toURI();
            if (!uri.getScheme().equals("jar")) {
                return copy(Path.of(uri), dir);
            }
            try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
                return copy(jar.getPath(ROOT), dir);
            } catch (FileSystemAlreadyExistsException e) {
                return copy(FileSystems.getFileSystem(uri).getPath(ROOT), dir);
            }
        } catch (URISyntaxException e) {
            throw new IllegalStateException("the build context's location is not a URI: " + root, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the build context into " + dir, e);
        }
    }

    private static List<Path> copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            List<Path> regular = files.filter(Files::isRegularFile).toList();
            for (Path file : regular) {
                // Each name part by part: the jar's paths and the disk's belong to different file systems.
                Path target = to;
                for (Path part : from.relativize(file)) {
                    target = target.resolve(part.toString());
                }
                Files.createDirectories(target.getParent());
                Files.copy(file, target);
                if (target.getFileName().toString().endsWith(".sh")) {
                    target.toFile().setExecutable(true, false);  // a jar keeps no file modes
                }
            }
            return regular.stream().map(f -> Path.of(from.relativize(f).toString())).toList();
        }
    }
}
