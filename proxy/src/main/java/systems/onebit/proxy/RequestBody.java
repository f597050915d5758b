package systems.onebit.proxy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.io.ByteArrayOutputStream;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

    /**
     * The same body naming {@code other} as its model (a peer is asked for its own name of a model the union lists as
     * {@code PEER/model}); only a JSON body is rewritten.
     */
    RequestBody withModel(String other) {
        if (model.isEmpty() || !contentType.toLowerCase(Locale.ROOT).contains("json")) {
            return this;
        }
        try {
            ObjectNode doc = (ObjectNode) OpenAiError.JSON.readTree(bytes);
            doc.put("model", other);
            return new RequestBody(OpenAiError.JSON.writeValueAsBytes(doc), contentType, Optional.of(other), stream);
        } catch (IOException | ClassCastException e) {
            return this;  // parsed once already: cannot happen
        }
    }

    /** Reads and parses the body; a body over {@code limit}, unreadable or not a JSON object is an {@link OpenAiError}. */
    static RequestBody read(ServerRequest req, long limit) throws Refused {
        String contentType = req.headers().first(HeaderNames.CONTENT_TYPE).orElse("");
        byte[] bytes;
        try {
            long announced = req.headers().contentLength().orElse(-1);
            bytes = announced >= 0 && announced <= limit
                    ? req.content().inputStream().readNBytes((int) announced)  // the usual case: one array, sized
                    : readLimited(req.content().inputStream(), limit);
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
            // Token by token, top level only: a long chat history is checked as JSON but never built into a tree.
            try (JsonParser json = OpenAiError.JSON.createParser(bytes)) {
                if (json.nextToken() != JsonToken.START_OBJECT) {
                    throw new Refused(OpenAiError.invalid(400, "request body is not valid JSON: the body must be a JSON "
                            + "object", "invalid_json"));
                }
                Optional<String> model = Optional.empty();
                boolean stream = false;
                for (JsonToken t = json.nextToken(); t != JsonToken.END_OBJECT; t = json.nextToken()) {
                    String field = json.currentName();
                    JsonToken value = json.nextToken();
                    if (field.equals("model") && value == JsonToken.VALUE_STRING) {
                        model = Optional.of(json.getText());
                    } else if (field.equals("stream")) {
                        stream = value == JsonToken.VALUE_TRUE;
                    }
                    json.skipChildren();
                }
                if (json.nextToken() != null) {
                    throw new Refused(OpenAiError.invalid(400, "request body is not valid JSON: more after the object",
                            "invalid_json"));
                }
                return new RequestBody(bytes, contentType, model, stream);
            }
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
