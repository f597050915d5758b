package systems.onebit.orchestrator.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Model files for tests of the toolbox lifecycle: a GGUF header (magic, version 3, no tensors, no metadata). */
public final class ModelFiles {

    private ModelFiles() {
    }

    public static Path emptyGguf(Path dir, String name) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.put(new byte[] {'G', 'G', 'U', 'F'}).putInt(3).putLong(0).putLong(0);
        Files.createDirectories(dir);
        return Files.write(dir.resolve(name), header.array());
    }

    /** The file's sha256 in hex: a blob's name in the Hugging Face cache. */
    public static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
