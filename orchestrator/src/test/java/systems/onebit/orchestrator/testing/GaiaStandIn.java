package systems.onebit.orchestrator.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * GAIA stand-in, run as the {@code gaia} executable by {@link StandInPrograms}: {@code gaia --ui --ui-port P
 * [--base-url URL]} serves the Agent UI's {@code /api/health} on 127.0.0.1:P, and {@code /api/lemonade} telling which
 * Lemonade base URL it would use: {@code --base-url}, else {@code LEMONADE_BASE_URL}, as GAIA's CLI resolves it.
 */
public final class GaiaStandIn {

    private GaiaStandIn() {
    }

    public static void main(String[] args) throws IOException {
        int port = 4200;
        String baseUrl = "";
        boolean ui = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--ui" -> ui = true;
                case "--ui-port" -> port = Integer.parseInt(args[++i]);
                case "--base-url" -> baseUrl = args[++i];
                default -> { }
            }
        }
        if (!ui) {
            System.err.println("gaia stand-in: only `gaia --ui` is served here");
            System.exit(2);
        }
        String env = System.getenv().getOrDefault("LEMONADE_BASE_URL", "");
        String used = baseUrl.isEmpty() ? env : baseUrl;
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
        server.createContext("/api/health", e -> FlmStandIn.send(e, 200, "application/json",
                "{\"status\":\"ok\",\"service\":\"gaia-agent-ui\",\"stats\":{}}"));
        server.createContext("/api/lemonade", e -> FlmStandIn.send(e, 200, "application/json",
                "{\"base_url\":\"" + used + "\",\"LEMONADE_BASE_URL\":\"" + env + "\"}"));
        server.start();
        System.out.println("GAIA stand-in Agent UI on http://127.0.0.1:" + port + " using " + used);
    }
}
