package systems.onebit.proxy;

import io.helidon.http.HeaderNames;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.ondemand.ModelScheduler;

/**
 * Forwards a request for a registered model that may not be loaded yet: waits for the {@link ModelScheduler} to
 * have a backend for it (a streaming client gets SSE comment lines meanwhile, so it does not time out), then relays.
 * A request whose backend fails before anything reached the client (a crash while it was queued) is retried on the
 * restarted backend, up to {@link #ATTEMPTS} times; one that already streamed data ends with an error event.
 */
final class OnDemandRelay {

    static final int ATTEMPTS = 3;

    private OnDemandRelay() {
    }

    static void forward(ServerRequest req, ServerResponse res, String prefix, byte[] body, String model, boolean stream,
                        ModelScheduler models, ProxyServer.Settings settings, WebClient http, ProxyServer.Exchange exchange,
                        Observer observer) {
        try (Waiting waiting = new Waiting(res, stream, model)) {
            for (int attempt = 1; ; attempt++) {
                ModelScheduler.Lease lease;
                try {
                    lease = models.acquire(model, waiting::tick);
                } catch (OrchestratorException e) {
                    waiting.fail(exchange, status(e), e.oneLine(), code(e));
                    return;
                } catch (UncheckedIOException e) {
                    return;  // the client went away while it waited; the load goes on for others
                }
                try (lease) {
                    LiveBackend target = new LiveBackend(lease.backend().container(), lease.backend().url(), 0, List.of(model), true);
                    exchange.backend = target.name();
                    HttpClientResponse answer;
                    try {
                        answer = ProxyServer.call(req, prefix, body, target, http);
                    } catch (RuntimeException e) {
                        lease.failed();  // nothing reached the client: if the backend died, it restarts and we retry
                        boolean timedOut = ProxyServer.causedBy(e, java.net.SocketTimeoutException.class);
                        if (attempt < ATTEMPTS && !timedOut) {
                            continue;
                        }
                        if (waiting.started()) {
                            waiting.fail(exchange, 502, "backend for model '" + model + "' failed: " + ProxyServer.rootMessage(e),
                                    "upstream_error");
                        } else {
                            ProxyServer.failUpstream(res, exchange, target.name(), e);
                        }
                        return;
                    }
                    if (waiting.started()) {
                        waiting.relay(answer, exchange, observer, target, settings);
                    } else {
                        ProxyServer.relayAnswer(answer, res, target, settings, exchange, observer, name -> lease.failed());
                    }
                    return;
                }
            }
        }
    }

    /** 404 for a model that is not registered; every other load failure (timeout included) is a 503 that says why. */
    private static int status(OrchestratorException e) {
        return e.reason() == OrchestratorException.Reason.NOT_FOUND ? 404 : 503;
    }

    private static String code(OrchestratorException e) {
        return switch (e.reason()) {
            case NOT_FOUND -> "model_not_found";
            case TIMEOUT -> "model_load_timeout";
            default -> "model_unavailable";
        };
    }

    /**
     * The client's side while it waits. For a streaming request the first tick commits a 200 event stream and each
     * tick writes an SSE comment; after that, errors can only be sent as an error event.
     */
    private static final class Waiting implements AutoCloseable {
        private final ServerResponse res;
        private final boolean stream;
        private final String model;
        private OutputStream out;
        private final long since = System.nanoTime();

        Waiting(ServerResponse res, boolean stream, String model) {
            this.res = res;
            this.stream = stream;
            this.model = model;
        }

        boolean started() {
            return out != null;
        }

        void tick() {
            if (!stream) {
                return;
            }
            try {
                if (out == null) {
                    res.status(200);
                    res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
                    res.header(HeaderNames.CACHE_CONTROL, "no-cache");
                    out = res.outputStream();
                }
                out.write((": loading model " + model + " (" + (System.nanoTime() - since) / 1_000_000_000L + " s)\n\n")
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException | RuntimeException e) {
                throw new UncheckedIOException(e instanceof IOException io ? io : new IOException(e));
            }
        }

        void fail(ProxyServer.Exchange exchange, int status, String message, String code) {
            if (out == null) {
                ProxyServer.fail(res, exchange, status, message, "server_error", code);
                return;
            }
            exchange.status = status;
            event("{\"error\":{\"message\":" + quote(message) + ",\"type\":\"server_error\",\"code\":\"" + code + "\"}}");
        }

        /** The answer into the already-open event stream: its events as they come, an error answer as an error event. */
        void relay(HttpClientResponse answer, ProxyServer.Exchange exchange, Observer observer, LiveBackend backend,
                   ProxyServer.Settings settings) {
            exchange.firstByte = System.nanoTime() - exchange.start;
            exchange.status = answer.status().code();
            try (answer; InputStream in = answer.inputStream()) {
                if (answer.status().code() >= 400) {
                    String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
                    event(text.startsWith("{") ? text : "{\"error\":{\"message\":" + quote(text)
                            + ",\"type\":\"server_error\",\"code\":\"upstream_error\"}}");
                    return;
                }
                byte[] buffer = new byte[16 * 1024];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                    exchange.bytes += n;
                    observer.scan(backend.name(), exchange.model, buffer, n);
                }
            } catch (IOException | RuntimeException e) {
                event("{\"error\":{\"message\":\"backend for model '" + model + "' closed the stream\",\"type\":\"server_error\","
                        + "\"code\":\"upstream_error\"}}");
            }
        }

        private void event(String json) {
            try {
                out.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException | RuntimeException e) {
                // the client is gone
            }
        }

        private static String quote(String text) {
            return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
        }

        @Override
        public void close() {
            if (out != null) {
                try {
                    out.close();
                } catch (IOException | RuntimeException e) {
                    // the client is gone
                }
            }
        }
    }
}
