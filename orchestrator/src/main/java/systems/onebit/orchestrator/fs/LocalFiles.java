package systems.onebit.orchestrator.fs;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/** File locking across processes and threads, and whole-file replacement, for 1bit's small state files. */
public final class LocalFiles {

    /** In-process guard beside each file lock: file locks are held per process, so threads of one JVM queue here. */
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCAL_LOCKS = new ConcurrentHashMap<>();

    /** Work that may fail with an {@link IOException}. */
    @FunctionalInterface
    public interface IoWork<T> {
        T run() throws IOException;
    }

    private LocalFiles() {
    }

    /** Runs {@code work} holding an exclusive lock on {@code lockFile} (created, with its directory, if missing). */
    public static <T> T exclusively(Path lockFile, IoWork<T> work) throws IOException {
        Path lock = lockFile.toAbsolutePath();
        ReentrantLock local = LOCAL_LOCKS.computeIfAbsent(lock, f -> new ReentrantLock());
        local.lock();
        try {
            Files.createDirectories(lock.getParent());
            try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = channel.lock()) {
                return work.run();
            }
        } finally {
            local.unlock();
        }
    }

    /**
     * Replaces {@code target} with {@code text} through a temporary file beside it and a rename, so a reader sees
     * the old file or the new one, never a part; owner-only permissions are set before anything is written.
     */
    public static void replace(Path target, String text, boolean ownerOnly) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-"
                + Thread.currentThread().threadId());
        try {
            if (ownerOnly) {
                try {
                    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                } catch (UnsupportedOperationException e) {
                    Files.createFile(tmp);
                }
            }
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
