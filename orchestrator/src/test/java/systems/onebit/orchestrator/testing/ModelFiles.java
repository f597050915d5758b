package systems.onebit.orchestrator.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

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
}
