package systems.onebit.proxy;

import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.ondemand.OnDemandModels;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;

/**
 * The one forwarding path: routes a request by its model, takes a slot on the backend (waiting in the proxy's
 * line), sends it, relays the answer. The same for live and on-demand backends: on-demand only decides which
 * backend (the model is loaded, then its backend is a target like any other).
 * <ul>
 *   <li>A backend that refused the connection never saw the request: it is marked down and the request goes to the
 *       next backend serving the model, or waits (bounded by {@code downWait}) for one to come back, then 503 with
 *       {@code Retry-After}.</li>
 *   <li>A backend that timed out or answered garbage may have run the request: 504 / 502, never sent twice.</li>
 *   <li>An on-demand backend that failed before the client got anything is checked, restarted if dead, and the
 *       request retried on the new one.</li>
 * </ul>
 */
final class Forwarder {

    /** Sends of one request, failovers and on-demand restarts included. */
    static final int ATTEMPTS = 3;

    /** What a client asked for: method, the path after the API prefix, its query, headers to pass on, its body. */
    record Call(String method, String rest, String rawQuery, boolean serverPath, List<Map.Entry<String, String>> headers,
                RequestBody body) {
        boolean head() {
            return method.equals("HEAD");
        }

        /** For a peer: the model the union calls {@code PEER/model} goes to it as {@code model}. */
        Call toPeer(LiveBackend peer, String model) {
            String prefix = peer.name() + "/";
            return model.startsWith(prefix) ? new Call(method, rest, rawQuery, serverPath, headers,
                    body.withModel(model.substring(prefix.length()))) : this;
        }
    }

    /** A backend for one send, and where its outcome is reported. */
    private interface Target {
        LiveBackend backend();

        void answered();

        /** Reports a failed send; returns whether the request may be sent again (nothing reached the client). */
        boolean failed(UpstreamException.Kind kind, String why);
    }

    private final Backends backends;
    private final Supplier<Registry> registry;
    private final ConcurrencyGate gate;
    private final UpstreamClient upstream;
    private final Relay relay;
    private final OnDemandModels models;
    private final Duration downWait;
    private final BackendKeys keys;

    Forwarder(Backends backends, Supplier<Registry> registry, ConcurrencyGate gate, UpstreamClient upstream, Relay relay,
              OnDemandModels models, Duration downWait, BackendKeys keys) {
        this.backends = backends;
        this.registry = registry;
        this.gate = gate;
        this.upstream = upstream;
        this.relay = relay;
        this.models = models;
        this.downWait = downWait;
        this.keys = keys;
    }

    void forward(Call call, ClientSink sink) {
        Exchange exchange = sink.exchange();
        Optional<String> model = call.body().model().or(() -> call.serverPath() ? queryModel(call.rawQuery()) : Optional.empty());
        exchange.model = model.orElse("");
        long deadline = System.nanoTime() + downWait.toNanos();
        int attempt = 0;
        while (true) {
            Registry current = registry.get();
            Router.Decision decision = Router.route(model, backends.snapshot(), current.aliases(), current.defaultBackend(),
                    Set.copyOf(models.aliases()));
            try {
                switch (decision) {
                    case Router.Decision.UnknownModel unknown -> {
                        sink.fail(OpenAiError.invalid(404, "model '" + unknown.model() + "' is not served here; available: "
                                + String.join(", ", unknown.available()), "model_not_found"));
                        return;
                    }
                    case Router.Decision.Unavailable down -> {
                        if (System.nanoTime() >= deadline) {
                            sink.fail(OpenAiError.server(503, down.message() + why(down.backend()), "backend_unavailable"));
                            return;
                        }
                        backends.awaitChange(down.backend(), deadline);
                    }
                    case Router.Decision.Forward target -> {
                        exchange.backend = target.backend().name();
                        exchange.model = target.model();
                        Call sent = target.backend().kind() == BackendKind.PEER ? call.toPeer(target.backend(), target.model()) : call;
                        if (!sendOrRetry(live(target.backend()), sent, sink, ++attempt)) {
                            return;
                        }
                    }
                    case Router.Decision.Load load -> {
                        exchange.model = load.model();
                        exchange.backend = "on-demand";
                        if (!onDemand(load.model(), call, sink, ++attempt)) {
                            return;
                        }
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                sink.fail(OpenAiError.server(503, "the proxy is shutting down", "shutting_down"));
                return;
            }
        }
    }

    private String why(String backend) {
        String why = backend.isEmpty() ? "" : backends.why(backend);
        return why.isEmpty() ? "" : " (" + why + ")";
    }

    private static Optional<String> queryModel(String rawQuery) {
        for (String pair : rawQuery.split("&")) {
            if (pair.startsWith("model=")) {
                return Optional.of(URLDecoder.decode(pair.substring(6), StandardCharsets.UTF_8));
            }
        }
        return Optional.empty();
    }

    private Target live(LiveBackend backend) {
        return new Target() {
            @Override
            public LiveBackend backend() {
                return backend;
            }

            @Override
            public void answered() {
                backends.answered(backend.name());
            }

            @Override
            public boolean failed(UpstreamException.Kind kind, String why) {
                backends.failed(backend.name(), kind, why);
                return kind.unsent();  // marked down: the next route goes to another backend, or waits for this one
            }
        };
    }

    /** Loads the model (waiting, with keep-alive comments for a streaming client), then sends; true to try again. */
    private boolean onDemand(String model, Call call, ClientSink sink, int attempt) throws InterruptedException {
        long since = System.nanoTime();
        OnDemandModels.Lease lease;
        try {
            lease = models.acquire(model, () -> sink.keepAlive("loading model " + model + " ("
                    + (System.nanoTime() - since) / 1_000_000_000L + " s)"));
        } catch (OrchestratorException e) {
            sink.fail(new OpenAiError(e.reason() == OrchestratorException.Reason.NOT_FOUND ? 404 : 503, e.oneLine(),
                    "server_error", switch (e.reason()) {
                        case NOT_FOUND -> "model_not_found";
                        case TIMEOUT -> "model_load_timeout";
                        default -> "model_unavailable";
                    }));
            return false;
        } catch (UncheckedIOException e) {
            return false;  // the client went away while it waited; the load goes on for others
        }
        try (lease) {
            LiveBackend backend = new LiveBackend(lease.backend().container(), lease.backend().url(), BackendKind.TOOLBOX, 0,
                    List.of(model), true, lease.slots(), 0);
            sink.exchange().backend = backend.name();
            return sendOrRetry(new Target() {
                @Override
                public LiveBackend backend() {
                    return backend;
                }

                @Override
                public void answered() {
                }

                @Override
                public boolean failed(UpstreamException.Kind kind, String why) {
                    if (kind == UpstreamException.Kind.TIMEOUT) {
                        return false;
                    }
                    lease.failed();  // a dead backend is restarted; the next acquire waits for it
                    return true;
                }
            }, call, sink, attempt);
        }
    }

    /**
     * One send to {@code target}, holding one of its slots. Returns true when the backend never saw the request and
     * it may go again (nothing was written to the client); otherwise the client has its answer or error.
     */
    private boolean sendOrRetry(Target target, Call call, ClientSink sink, int attempt) throws InterruptedException {
        LiveBackend backend = target.backend();
        List<Map.Entry<String, String>> headers = call.headers();
        try {
            Optional<String> authorization = keys.authorization(backend.name());
            if (authorization.isPresent()) {
                headers = new ArrayList<>(headers);
                headers.add(Map.entry("Authorization", authorization.get()));
            }
        } catch (BackendKeys.Missing e) {
            sink.fail(OpenAiError.server(503, e.getMessage(), "backend_key_missing"));
            return false;
        }
        Optional<ConcurrencyGate.Permit> permit = gate.enter(backend.name(), backend.slots());
        if (permit.isEmpty()) {
            sink.fail(new OpenAiError(429, "backend '" + backend.name() + "' is busy and its queue is full; retry shortly",
                    "rate_limit_error", "queue_full"));
            return false;
        }
        UpstreamResponse answer;
        try (ConcurrencyGate.Permit held = permit.get()) {
            try {
                answer = upstream.send(new UpstreamClient.Request(call.method(), call.serverPath()
                        ? backend.root(call.rest(), call.rawQuery()) : backend.api(call.rest(), call.rawQuery()),
                        headers, call.body().bytes()));
            } catch (UpstreamException e) {
                if (target.failed(e.kind(), e.getMessage()) && attempt < ATTEMPTS) {
                    return true;
                }
                sink.fail(e.kind() == UpstreamException.Kind.TIMEOUT
                        ? OpenAiError.server(504, "backend '" + backend.name() + "' did not answer in time", "upstream_timeout")
                        : OpenAiError.server(502, "backend '" + backend.name() + "' failed: " + e.getMessage(), "upstream_error"));
                return false;
            }
            target.answered();
            if (relay.relay(answer, sink, backend.name(), call.head(), held::close) == Relay.Outcome.UPSTREAM_BROKE) {
                target.failed(UpstreamException.Kind.PROTOCOL, "broke off an answer");
            }
            return false;
        }
    }
}
