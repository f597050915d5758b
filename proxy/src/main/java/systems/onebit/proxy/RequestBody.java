package systems.onebit.proxy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.Optional;

/**
 * A client's request body, read once within the size limit: its bytes, content type, the model it names (JSON's
 * top-level {@code model}, or a multipart form's {@code model} field) and whether it asks for a stream.
 */
record RequestBody(byte[] bytes, String contentType, Optional<String> model, boolean stream) {

    /** Reads and parses the body; a body over {@code limit}, unreadable or not a JSON object is an {@link OpenAiError}. */
    static RequestBody read(ServerRequest req, long limit) throws Refused {
        String contentType = req.headers().first(HeaderNames.CONTENT_TYPE).orElse("");
        byte[] bytes;
        try {
            bytes = readLimited(req.content().inputStream(), limit);
        } catch (TooLarge e) {
            throw new Refused(OpenAiError.invalid(413, "request body is over the limit of " + limit + " bytes",
                    "request_too_large"));
        } catch (IOException | RuntimeException e) {
            throw new Refused(OpenAiError.invalid(400, "could not read the request body: " + e.getMessage(), "bad_request"));
        }
        return parse(bytes, contentType);
    }

    static RequestBody parse(byte[] bytes, String contentType) throws Refused {
        String type = contentType.toLowerCase(Locale.ROOT);
        try {
            if (type.startsWith("multipart/form-data")) {
                return new RequestBody(bytes, contentType, Multipart.field(bytes, contentType, "model"), false);
            }
            if (bytes.length == 0 || !type.contains("json")) {
                return new RequestBody(bytes, contentType, Optional.empty(), false);
            }
            JsonNode root = OpenAiError.JSON.readTree(bytes);
            if (root == null || !root.isObject()) {
                throw new Refused(OpenAiError.invalid(400, "request body is not valid JSON: the body must be a JSON object",
                        "invalid_json"));
            }
            JsonNode model = root.get("model");
            return new RequestBody(bytes, contentType, model != null && model.isTextual() ? Optional.of(model.asText())
                    : Optional.empty(), root.path("stream").asBoolean(false));
        } catch (JsonProcessingException e) {
            throw new Refused(OpenAiError.invalid(400, "request body is not valid JSON: " + e.getOriginalMessage(),
                    "invalid_json"));
        } catch (IOException e) {
            throw new Refused(OpenAiError.invalid(400, "could not read the request body: " + e.getMessage(), "bad_request"));
        }
    }

    /** A request refused before it was forwarded, with the error to answer. */
    static final class Refused extends Exception {
        private final OpenAiError error;

        Refused(OpenAiError error) {
            super(error.message(), null, false, false);
            this.error = error;
        }

        OpenAiError error() {
            return error;
        }
    }

    private static final class TooLarge extends IOException {
    }

    private static byte[] readLimited(InputStream in, long limit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[16 * 1024];
        long total = 0;
        for (int n; (n = in.read(buffer)) > 0; ) {
            total += n;
            if (total > limit) {
                in.transferTo(OutputStream.nullOutputStream());
                throw new TooLarge();
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }
}
