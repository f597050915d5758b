package systems.onebit.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * For clients that show only {@code content}: copies {@code reasoning_content} into an empty {@code content} of
 * each choice's message (JSON) or delta (SSE events, rewritten line by line as they pass).
 */
final class ReasoningCompat {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ReasoningCompat() {
    }

    /** A whole JSON response; anything that is not a chat completion passes unchanged. */
    static byte[] json(byte[] body) {
        try {
            JsonNode root = JSON.readTree(body);
            return copy(root, "message") ? JSON.writeValueAsBytes(root) : body;
        } catch (IOException e) {
            return body;
        }
    }

    private static boolean copy(JsonNode root, String field) {
        boolean changed = false;
        for (JsonNode choice : root.path("choices")) {
            if (choice.get(field) instanceof ObjectNode part) {
                JsonNode reasoning = part.get("reasoning_content");
                JsonNode content = part.get("content");
                if (reasoning != null && reasoning.isTextual() && !reasoning.asText().isEmpty()
                        && (content == null || content.isNull() || content.asText().isEmpty())) {
                    part.put("content", reasoning.asText());
                    changed = true;
                }
            }
        }
        return changed;
    }

    /** Wraps a response stream so that each complete SSE line is rewritten and flushed as it passes. */
    static OutputStream events(OutputStream out) {
        return new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public void write(int b) throws IOException {
                line.write(b);
                if (b == '\n') {
                    emit();
                }
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                for (int i = off; i < off + len; i++) {
                    write(b[i]);
                }
            }

            private void emit() throws IOException {
                byte[] bytes = line.toByteArray();
                line.reset();
                String text = new String(bytes, StandardCharsets.UTF_8);
                if (text.startsWith("data: {")) {
                    try {
                        JsonNode event = JSON.readTree(text.substring(6).strip());
                        if (copy(event, "delta")) {
                            bytes = ("data: " + JSON.writeValueAsString(event) + "\n").getBytes(StandardCharsets.UTF_8);
                        }
                    } catch (IOException e) {
                        // not JSON after all: pass it through
                    }
                }
                out.write(bytes);
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }

            @Override
            public void close() throws IOException {
                if (line.size() > 0) {
                    out.write(line.toByteArray());
                }
                out.close();
            }
        };
    }
}
