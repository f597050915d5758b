package systems.onebit.orchestrator.pull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256, the name of a blob in the Hugging Face cache and the check of every download. */
final class Sha256 {

    private Sha256() {
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Feeds the first {@code bytes} of {@code in} to {@code sha}. */
    static void update(MessageDigest sha, InputStream in, long bytes) throws IOException {
        byte[] buffer = new byte[1 << 20];
        long left = bytes;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                break;
            }
            sha.update(buffer, 0, n);
            left -= n;
        }
    }

    /** The file's hash in hex; empty when it cannot be read. */
    static String of(Path file) {
        MessageDigest sha = digest();
        try (InputStream in = Files.newInputStream(file)) {
            update(sha, in, Long.MAX_VALUE);
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            return "";
        }
    }
}
