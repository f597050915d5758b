package systems.onebit.orchestrator.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * FastFlowLM stand-in (no NPU here), run as the {@code flm} executable by {@link StandInPrograms}: {@code flm serve
 * MODEL [--host H] [--port P] [flags…]} serves FastFlowLM's {@code /v1/models}, {@code /api/tags} and
 * {@code /v1/chat/completions} (plain and streamed) for MODEL; {@code flm port} prints the default server port.
 * Other flags are accepted and ignored, as the real one's tuning flags would be.
 */
public final class FlmStandIn {

    public static final String ANSWER = "hello from the FastFlowLM stand-in";

    private FlmStandIn() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length > 0 && args[0].equals("port")) {
            System.out.println("52625");
            return;
        }
        if (args.length < 2 || !args[0].equals("serve")) {
            System.err.println("usage: flm serve MODEL [--host H] [--port P] | flm port");
            System.exit(2);
        }
        String model = args[1];
        String host = "127.0.0.1";
        int port = 52625;
        for (int i = 2; i < args.length - 1; i++) {
            if (args[i].equals("--host")) {
                host = args[i + 1];
            } else if (args[i].equals("--port")) {
                port = Integer.parseInt(args[i + 1]);
            }
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
        server.createContext("/v1/models", e -> send(e, 200, "application/json",
                "{\"object\":\"list\",\"data\":[{\"id\":\"" + model + "\",\"object\":\"model\",\"owned_by\":\"FastFlowLM\"}]}"));
        server.createContext("/api/tags", e -> send(e, 200, "application/json",
                "{\"models\":[{\"name\":\"" + model + "\",\"model\":\"" + model + "\",\"size\":0}]}"));
        server.createContext("/v1/chat/completions", e -> {
            String body = new String(e.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if (body.replace(" ", "").contains("\"stream\":true")) {
                String chunk = "{\"id\":\"flm-1\",\"object\":\"chat.completion.chunk\",\"model\":\"" + model
                        + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + ANSWER + "\"},\"finish_reason\":null}]}";
                send(e, 200, "text/event-stream", "data: " + chunk + "\n\ndata: [DONE]\n\n");
            } else {
                send(e, 200, "application/json", "{\"id\":\"flm-1\",\"object\":\"chat.completion\",\"model\":\"" + model
                        + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + ANSWER
                        + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":6,\"total_tokens\":7}}");
            }
        });
        server.start();
        System.out.println("FastFlowLM stand-in serving " + model + " on " + host + ":" + port);
    }

    static void send(HttpExchange e, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        e.getResponseHeaders().add("Content-Type", type);
        e.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = e.getResponseBody()) {
            out.write(bytes);
        }
    }
}
