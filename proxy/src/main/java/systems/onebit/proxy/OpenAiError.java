package systems.onebit.proxy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;

/**
 * An error in OpenAI's format, {@code {"error":{"message","type","code"}}}: as a whole response, or as an SSE event
 * when the client's stream has already begun. The one place such JSON is built.
 */
record OpenAiError(int status, String message, String type, String code) {

    static final ObjectMapper JSON = new ObjectMapper();

    static OpenAiError invalid(int status, String message, String code) {
        return new OpenAiError(status, message, "invalid_request_error", code);
    }

    static OpenAiError server(int status, String message, String code) {
        return new OpenAiError(status, message, "server_error", code);
    }

    ObjectNode json() {
        ObjectNode doc = JSON.createObjectNode();
        ObjectNode error = doc.putObject("error");
        error.put("message", message);
        error.put("type", type);
        error.put("code", code);
        return doc;
    }

    /** {@code data: {...}} and a blank line: the error as the last event of a stream. */
    byte[] event() {
        return ("data: " + json() + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    void send(ServerResponse res) {
        sendJson(res, status, json());
    }

    static void sendJson(ServerResponse res, int status, JsonNode doc) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        try {
            res.send(JSON.writeValueAsBytes(doc));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
