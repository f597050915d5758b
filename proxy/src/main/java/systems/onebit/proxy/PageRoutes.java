package systems.onebit.proxy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.registry.Registry;

/**
 * The status page at {@code /}: static files from the jar (no CDN, no framework), which read the proxy's own
 * {@code /health}, {@code /running} and {@code /metrics} with the page's key, and the access log live over SSE at
 * {@code /api/v1/logs/stream}. The files carry no data, so they are served without the key; every call they make
 * needs it when one is set.
 */
final class PageRoutes {

    /** The page's files: path → (resource, content type). */
    static final Map<String, String[]> FILES = Map.of(
            "/", new String[] {"ui/index.html", "text/html; charset=utf-8"},
            "/ui/app.js", new String[] {"ui/app.js", "text/javascript; charset=utf-8"},
            "/ui/style.css", new String[] {"ui/style.css", "text/css; charset=utf-8"});

    /** Whether the page must ask for the key before it reads anything (asking costs a 401 in the browser's console). */
    static final String CONFIG = "/ui/config.json";

    /** POST {"name": "TOOLBOX"}: the page's Restart action on a toolbox backend (Podman stop, then start). */
    static final String RESTART = "/api/v1/toolbox/restart";

    private final LogFeed feed;
    private final boolean keyRequired;
    private final StackView stack;
    private final Supplier<Registry> registry;

    /** @param stack the status and container logs, when the proxy has them (else the page draws from /health) */
    PageRoutes(LogFeed feed, boolean keyRequired, StackView stack, Supplier<Registry> registry) {
        this.feed = feed;
        this.keyRequired = keyRequired;
        this.stack = stack;
        this.registry = registry;
    }

    void register(HttpRouting.Builder rules) {
        FILES.forEach((path, file) -> {
            byte[] body = resource(file[0]);
            rules.get(path, (req, res) -> {
                res.header("Content-Type", file[1]);
                res.header("Cache-Control", "no-cache");
                res.header("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; "
                        + "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
                res.header("X-Content-Type-Options", "nosniff");
                res.send(body);
            });
        });
        rules.get(CONFIG, (req, res) -> {
            res.header("Content-Type", "application/json");
            res.header("Cache-Control", "no-cache");
            res.send(("{\"keyRequired\":" + keyRequired + ",\"status\":" + stack.available() + "}").getBytes(StandardCharsets.UTF_8));
        });
        rules.get("/api/v1/logs/stream", this::stream);
        rules.post(RESTART, this::restart);
    }

    private void restart(ServerRequest req, ServerResponse res) {
        try {
            String name = LemonadeRoutes.body(req).path("name").asText("");
            if (name.isEmpty()) {
                OpenAiError.invalid(400, "restart needs {\"name\": \"TOOLBOX\"} (a toolbox from `1bit toolbox list`)",
                        "missing_name").send(res);
                return;
            }
            String done = stack.restartToolbox(name);
            ObjectNode doc = OpenAiError.JSON.createObjectNode();
            doc.put("status", "success");
            doc.put("message", name + ": " + done);
            OpenAiError.sendJson(res, 200, doc);
        } catch (RequestBody.Refused e) {
            e.error().send(res);
        } catch (OrchestratorException e) {
            int status = switch (e.reason()) {
                case NOT_FOUND -> 404;
                case CONFLICT, PRECONDITION -> 409;
                default -> 503;
            };
            OpenAiError.server(status, e.oneLine(), "restart_failed").send(res);
        }
    }

    /**
     * The access log as Server-Sent Events (event {@code access}): the recent lines, then each new one, until the
     * client leaves; beside it the containers' logs (event {@code component}, "NAME | line") where the proxy has them.
     */
    private void stream(ServerRequest req, ServerResponse res) {
        List<String> backlog = new ArrayList<>();
        BlockingQueue<String> lines = feed.watch(backlog);
        // One queue for both: the access lines as they are, the containers' marked so (a tab never starts a line).
        Thread containers = Thread.ofVirtual().start(() -> {
            try {
                stack.followLogs(registry, line -> lines.offer("\t" + line));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                lines.offer("\tproxy | (cannot follow the containers' logs: " + e.getMessage() + ")");
            }
        });
        res.header("Content-Type", "text/event-stream");
        res.header("Cache-Control", "no-cache");
        try (OutputStream out = res.outputStream()) {
            for (String line : backlog) {
                event(out, line);
            }
            out.write(": connected\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                String line = lines.poll(15, TimeUnit.SECONDS);
                if (line == null) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));  // finds a client that went away
                } else {
                    event(out, line);
                }
                out.flush();
            }
        } catch (IOException | UncheckedIOException e) {
            // the page was closed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            containers.interrupt();
            feed.unwatch(lines);
        }
    }

    private static void event(OutputStream out, String line) throws IOException {
        boolean component = line.startsWith("\t");
        String data = (component ? line.substring(1) : line).replace("\n", " ").replace("\r", " ");
        out.write(("event: " + (component ? "component" : "access") + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] resource(String name) {
        try (InputStream in = PageRoutes.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the build");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
