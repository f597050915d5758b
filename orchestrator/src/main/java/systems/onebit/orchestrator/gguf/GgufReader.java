package systems.onebit.orchestrator.gguf;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import systems.onebit.orchestrator.OrchestratorException;

/**
 * Reads a GGUF (v2, v3) header from an untrusted file. Every length is checked against the bytes that are left
 * before anything is allocated, so a hostile count cannot make it allocate or loop beyond the file's size; strings
 * are capped at 64 KiB, dimensions at 8, tensor data must lie inside the file. Arrays (the vocabulary) are skipped
 * with bounded reads, never loaded. Any violation is an {@link OrchestratorException} (CONFIG_INVALID) that names the
 * file, the byte offset and what was wrong.
 */
public final class GgufReader {

    static final int MAGIC = 0x46554747; // "GGUF" little-endian
    static final int MAX_STRING = 64 * 1024;
    static final int MAX_DIMS = 8;

    private final Path path;
    private final FileChannel channel;
    private final long size;
    private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
    private long bufferStart;

    private GgufReader(Path path, FileChannel channel) throws IOException {
        this.path = path;
        this.channel = channel;
        this.size = channel.size();
        buffer.limit(0);
    }

    public static GgufFile read(Path path) {
        if (!Files.isRegularFile(path)) {
            throw OrchestratorException.notFound("model file " + path + " does not exist", "check the path");
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            return new GgufReader(path, channel).header();
        } catch (EOFException e) {
            throw invalid(path, e.getMessage());
        } catch (IOException e) {
            throw new OrchestratorException(OrchestratorException.Reason.IO, "cannot read " + path + " (" + e.getMessage() + ")",
                    "check its permissions");
        }
    }

    private static OrchestratorException invalid(Path path, String what) {
        return OrchestratorException.configInvalid(path + " is not a usable GGUF file: " + what,
                "download the model again, or check that it is a .gguf file (not safetensors or a partial download)");
    }

    private OrchestratorException invalid(String what) {
        return invalid(path, what + " (at byte " + position() + " of " + size + ")");
    }

    private GgufFile header() throws IOException {
        if (size < 24) {
            throw invalid("the file is " + size + " bytes, too short for a GGUF header");
        }
        int magic = i32();
        if (magic != MAGIC) {
            throw invalid(String.format("wrong magic 0x%08x (a GGUF file starts with \"GGUF\")", magic));
        }
        int version = i32();
        if (version != 2 && version != 3) {
            throw invalid("GGUF version " + version + " (1bit reads versions 2 and 3)");
        }
        long tensorCount = u64("tensor count");
        long kvCount = u64("metadata count");
        // A key-value pair takes at least 8 + 1 + 4 + 1 bytes, a tensor entry at least 8 + 1 + 4 + 4 + 8.
        if (kvCount > remaining() / 14 || tensorCount > remaining() / 25) {
            throw invalid(tensorCount + " tensors and " + kvCount + " metadata entries cannot fit in the file: it is truncated or corrupt");
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = string("metadata key");
            int type = i32();
            Object value = value(type, key, 0);
            if (metadata.put(key, value) != null) {
                throw invalid("metadata key '" + key + "' appears twice");
            }
        }
        long alignment = metadata.get("general.alignment") instanceof Long a ? a : 32;
        if (alignment <= 0 || alignment > 1 << 20 || Long.bitCount(alignment) != 1) {
            throw invalid("general.alignment " + alignment + " is not a power of two up to 1 MiB");
        }
        List<GgufFile.Tensor> tensors = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = string("tensor name");
            int dims = i32();
            if (dims < 1 || dims > MAX_DIMS) {
                throw invalid("tensor '" + name + "' has " + dims + " dimensions (1 to " + MAX_DIMS + " allowed)");
            }
            List<Long> shape = new ArrayList<>();
            long elements = 1;
            for (int d = 0; d < dims; d++) {
                long n = u64("dimension");
                try {
                    elements = Math.multiplyExact(elements, n);
                } catch (ArithmeticException e) {
                    throw invalid("tensor '" + name + "' has more elements than a file can hold");
                }
                shape.add(n);
            }
            int typeId = i32();
            GgmlType type = GgmlType.of(typeId).orElseThrow(() -> invalid("tensor '" + name + "' has unknown type " + typeId));
            long offset = u64("tensor offset");
            long bytes = type.bytes(elements).orElseThrow(() -> invalid("tensor '" + name + "' (" + type + ") has "
                    + shape + " elements, not whole blocks of its type"));
            if (offset % alignment != 0) {
                throw invalid("tensor '" + name + "' starts at " + offset + ", not a multiple of the alignment " + alignment);
            }
            tensors.add(new GgufFile.Tensor(name, shape, type, offset, bytes));
        }
        long dataOffset = (position() + alignment - 1) / alignment * alignment;
        for (GgufFile.Tensor t : tensors) {
            if (t.offset() > size - dataOffset || t.bytes() > size - dataOffset - t.offset()) {
                throw invalid(path, "tensor '" + t.name() + "' (" + t.bytes() + " bytes at " + (dataOffset + t.offset())
                        + ") reaches past the end of the file (" + size + " bytes): the file is truncated");
            }
        }
        return new GgufFile(path, version, size, metadata, tensors, dataOffset);
    }

    /** A metadata value: scalars kept, arrays skipped (bounded) and summarised. */
    private Object value(int type, String key, int depth) throws IOException {
        return switch (type) {
            case 0 -> (long) (byte) u8();
            case 1 -> (long) u8();
            case 2 -> (long) (short) u16();
            case 3 -> (long) u16();
            case 4 -> (long) i32();
            case 5 -> Integer.toUnsignedLong(i32());
            case 6 -> (double) Float.intBitsToFloat(i32());
            case 7 -> {
                int b = u8();
                if (b > 1) {
                    throw invalid("metadata '" + key + "' is a bool with value " + b);
                }
                yield b == 1;
            }
            case 8 -> string("value of '" + key + "'");
            case 9 -> {
                if (depth > 2) {
                    throw invalid("metadata '" + key + "' nests arrays too deeply");
                }
                int elementType = i32();
                long count = u64("array length");
                long min = switch (elementType) {
                    case 0, 1, 7 -> 1;
                    case 2, 3 -> 2;
                    case 4, 5, 6 -> 4;
                    case 10, 11, 12 -> 8;
                    case 8 -> 8;
                    case 9 -> 12;
                    default -> throw invalid("metadata '" + key + "' is an array of unknown type " + elementType);
                };
                if (count > remaining() / min) {
                    throw invalid("metadata '" + key + "' claims " + count + " elements, more than the file holds");
                }
                for (long i = 0; i < count; i++) {
                    if (elementType == 8) {
                        skip(u64("string length"), "string in '" + key + "'");
                    } else if (elementType == 9) {
                        value(9, key, depth + 1);
                    } else {
                        skip(min, "array '" + key + "'");
                    }
                }
                yield "array[" + count + "]";
            }
            case 10 -> i64(); // kept as signed: only counts are checked for sign
            case 11 -> i64();
            case 12 -> Double.longBitsToDouble(i64());
            default -> throw invalid("metadata '" + key + "' has unknown type " + type);
        };
    }

    private String string(String what) throws IOException {
        long length = u64(what + " length");
        if (length > MAX_STRING) {
            throw invalid(what + " is " + length + " bytes long (at most " + MAX_STRING + " allowed)");
        }
        if (length > remaining()) {
            throw invalid(what + " is " + length + " bytes long but the file ends first");
        }
        byte[] bytes = new byte[(int) length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) u8();
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw invalid(what + " is not UTF-8");
        }
    }

    private long position() {
        return bufferStart + buffer.position();
    }

    private long remaining() {
        return size - position();
    }

    private void need(int n) throws IOException {
        if (buffer.remaining() >= n) {
            return;
        }
        if (remaining() < n) {
            throw new EOFException("the file ends at byte " + size + " in the middle of the header: it is truncated");
        }
        long next = position();
        buffer.clear();
        int read = 0;
        while (read < Math.min(buffer.capacity(), size - next)) {
            int r = channel.read(buffer, next + read);
            if (r < 0) {
                break;
            }
            read += r;
        }
        buffer.flip();
        bufferStart = next;
        if (buffer.remaining() < n) {
            throw new EOFException("the file ends at byte " + size + " in the middle of the header: it is truncated");
        }
    }

    private void skip(long n, String what) throws IOException {
        if (n < 0 || n > remaining()) {
            throw invalid(what + " needs " + Long.toUnsignedString(n) + " bytes but the file ends first");
        }
        long target = position() + n;
        if (target <= bufferStart + buffer.limit()) {
            buffer.position((int) (target - bufferStart));
        } else {
            bufferStart = target;
            buffer.clear().limit(0);
        }
    }

    private int u8() throws IOException {
        need(1);
        return buffer.get() & 0xff;
    }

    private int u16() throws IOException {
        need(2);
        return buffer.getShort() & 0xffff;
    }

    private int i32() throws IOException {
        need(4);
        return buffer.getInt();
    }

    private long i64() throws IOException {
        need(8);
        return buffer.getLong();
    }

    /** An unsigned 64-bit count; above Long.MAX_VALUE cannot be a count in a real file. */
    private long u64(String what) throws IOException {
        long v = i64();
        if (v < 0) {
            throw invalid(what + " " + Long.toUnsignedString(v) + " is impossibly large");
        }
        return v;
    }
}
