package systems.onebit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.testing.LlamaServer;
import systems.onebit.orchestrator.testing.TinyGguf;

/**
 * The proxy as users load it: many clients at once against backends with fewer slots than clients, backends that
 * close connections, stay busy, go away and come back. Every request must complete; none may see a stale-connection
 * error or a 503 for a backend that was only busy.
 */
class ProxyLoadIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger SEQ = new AtomicInteger();

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private ProxyServer proxy(ProxyServer.Settings settings, Backend... backends) {
        Registry registry = new Registry("127.0.0.1", 0, backends[0].name(), List.of(backends));
        ProxyServer proxy = ProxyServer.start(RegistryWatch.fixed(registry), settings.withPort(0), new Observer(line -> { }));
        open.add(proxy);
        return proxy;
    }

    private static ProxyServer.Settings settings(Duration probeInterval) {
        return ProxyServer.Settings.defaults(new Registry("127.0.0.1", 0, "", List.of()))
                .withTimers(probeInterval, Duration.ofMinutes(1)).withLimits(8, 256, Duration.ofMinutes(1));
    }

    private static Backend backend(String name, URI url, int priority) {
        return new Backend(name, BackendKind.OPENAI, url, "", List.of(), List.of(), priority, true);
    }

    private static HttpRequest chat(ProxyServer proxy, String model, boolean stream) {
        String body = "{\"model\":\"" + model + "\",\"max_tokens\":8,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hello " + SEQ.incrementAndGet() + "\"}]}";
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** What is wrong with an answer ("" when it is a complete one): status, a stream's [DONE], a message. */
    private static String problem(HttpResponse<String> r, boolean stream) {
        if (r.statusCode() != 200) {
            return r.statusCode() + " " + r.body();
        }
        if (stream) {
            List<String> events = r.body().lines().filter(l -> l.startsWith("data: ")).toList();
            return !events.isEmpty() && events.getLast().equals("data: [DONE]")
                    && events.stream().noneMatch(e -> e.contains("\"error\"")) ? "" : "incomplete stream: " + r.body();
        }
        try {
            return JSON.readTree(r.body()).at("/choices/0/message").isObject() ? "" : "no message: " + r.body();
        } catch (java.io.IOException e) {
            return "not JSON: " + r.body();
        }
    }

    /** Polls the proxy's /health while a load runs; records every moment a backend was reported down. */
    private static Future<List<String>> watchHealth(ExecutorService pool, ProxyServer proxy, AtomicBoolean running) {
        HttpClient http = HttpClient.newHttpClient();
        return pool.submit(() -> {
            List<String> downs = new ArrayList<>();
            while (running.get()) {
                JsonNode health = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + proxy.port() + "/health")).build(), HttpResponse.BodyHandlers.ofString()).body());
                for (JsonNode b : health.path("backends")) {
                    if (!b.path("healthy").asBoolean()) {
                        downs.add(b.toString());
                    }
                }
                Thread.sleep(100);
            }
            return downs;
        });
    }

    @Test
    void sixteenStreamingAndSixteenPlainClientsAtOnceAllCompleteAgainstTwoSlotBackends() throws Exception {
        LlamaServer a = LlamaServer.start(new TinyGguf().seed(21).write(dir.resolve("a.gguf")), "alpha", dir, 2048);
        open.add(a);
        LlamaServer b = LlamaServer.start(new TinyGguf().seed(22).write(dir.resolve("b.gguf")), "beta", dir, 2048);
        open.add(b);
        // Probes every 250 ms: dozens of them land while every slot is busy and requests queue.
        ProxyServer proxy = proxy(settings(Duration.ofMillis(250)), backend("a", a.url(), 100), backend("b", b.url(), 100));
        AtomicBoolean running = new AtomicBoolean(true);
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicInteger completed = new AtomicInteger();
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<List<String>> downs = watchHealth(pool, proxy, running);
            List<Future<?>> clients = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                boolean stream = i % 2 == 0;
                String model = i % 4 < 2 ? "alpha" : "beta";
                clients.add(pool.submit(() -> {
                    // Each client its own HttpClient: its own connections, as separate apps would have.
                    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
                    while (System.nanoTime() < end) {
                        HttpResponse<String> r = http.send(chat(proxy, model, stream), HttpResponse.BodyHandlers.ofString());
                        String problem = problem(r, stream);
                        if (problem.isEmpty()) {
                            completed.incrementAndGet();
                        } else {
                            problems.add(problem);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> c : clients) {
                c.get();
            }
            running.set(false);
            assertThat(downs.get()).as("a backend reported down while it was only busy").isEmpty();
        }
        assertThat(problems).as("requests that did not complete").isEmpty();
        assertThat(completed.get()).isGreaterThan(64);
    }

    @Test
    void backendsThatCloseConnectionsCauseNoClientErrorsAndNoRequestRunsTwice() throws Exception {
        ScriptedBackend closing = new ScriptedBackend("closing", ScriptedBackend.Mode.CLOSE_AFTER_ANSWER, Duration.ZERO).start();
        open.add(closing);
        ScriptedBackend dropping = new ScriptedBackend("dropping", ScriptedBackend.Mode.DROP_REUSED, Duration.ZERO).start();
        open.add(dropping);
        ProxyServer proxy = proxy(settings(Duration.ofSeconds(1)), backend("closing", closing.url(), 100),
                backend("dropping", dropping.url(), 100));
        HttpClient http = HttpClient.newHttpClient();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            boolean stream = i % 3 == 0;
            HttpResponse<String> r = http.send(chat(proxy, i % 2 == 0 ? "closing" : "dropping", stream),
                    HttpResponse.BodyHandlers.ofString());
            String problem = problem(r, stream);
            if (!problem.isEmpty()) {
                problems.add(problem);
            }
        }
        assertThat(problems).as("sequential requests that failed").isEmpty();
        ConcurrentLinkedQueue<String> concurrent = new ConcurrentLinkedQueue<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 16; t++) {
                int client = t;
                pool.submit(() -> {
                    HttpClient own = HttpClient.newHttpClient();
                    for (int i = 0; i < 32; i++) {
                        boolean stream = i % 3 == 0;
                        HttpResponse<String> r = own.send(chat(proxy, (client + i) % 2 == 0 ? "closing" : "dropping", stream),
                                HttpResponse.BodyHandlers.ofString());
                        String problem = problem(r, stream);
                        if (!problem.isEmpty()) {
                            concurrent.add(problem);
                        }
                    }
                    return null;
                });
            }
        }
        assertThat(concurrent).as("concurrent requests that failed").isEmpty();
        // A request retried after a dropped connection was never answered there: each ran exactly once.
        assertThat(closing.answered() + dropping.answered()).isEqualTo(500 + 16 * 32);
    }

    @Test
    void aBusyBackendStaysUpAKilledOneFailsOverAtOnceAndOneThatComesBackIsUsedAgain() throws Exception {
        // One connection at a time, 1.5 s per answer: the proxy's probes (1 s timeout) wait behind busy requests.
        ScriptedBackend primary = new ScriptedBackend("shared", ScriptedBackend.Mode.SERIAL, Duration.ofMillis(1500)).start();
        open.add(primary);
        ScriptedBackend spare = new ScriptedBackend("shared", ScriptedBackend.Mode.KEEP_ALIVE, Duration.ZERO).start();
        open.add(spare);
        Duration interval = Duration.ofMillis(300);
        ProxyServer proxy = proxy(settings(interval), backend("primary", primary.url(), 10), backend("spare", spare.url(), 20));
        AtomicBoolean running = new AtomicBoolean(true);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<List<String>> downs = watchHealth(pool, proxy, running);
            List<Future<HttpResponse<String>>> busy = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                busy.add(pool.submit(() -> HttpClient.newHttpClient().send(chat(proxy, "shared", false),
                        HttpResponse.BodyHandlers.ofString())));
            }
            for (Future<HttpResponse<String>> r : busy) {
                assertThat(problem(r.get(), false)).isEmpty();
                assertThat(r.get().headers().firstValue("X-1bit-Backend")).contains("primary");
            }
            running.set(false);
            assertThat(downs.get()).as("the busy backend was reported down").isEmpty();
        }

        primary.stop();
        HttpClient http = HttpClient.newHttpClient();
        long killed = System.nanoTime();
        HttpResponse<String> failedOver = http.send(chat(proxy, "shared", false), HttpResponse.BodyHandlers.ofString());
        assertThat(problem(failedOver, false)).isEmpty();
        assertThat(failedOver.headers().firstValue("X-1bit-Backend")).contains("spare");
        assertThat(healthy(proxy, "primary")).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - killed)).isLessThan(interval);

        primary.start();  // the same port again
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!healthy(proxy, "primary") && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        HttpResponse<String> back = http.send(chat(proxy, "shared", true), HttpResponse.BodyHandlers.ofString());
        assertThat(problem(back, true)).isEmpty();
        assertThat(back.headers().firstValue("X-1bit-Backend")).contains("primary");
    }

    @Test
    void requestsForADownOnlyBackendWaitForItAndGet503WithRetryAfterWhenItStaysAway() throws Exception {
        ScriptedBackend only = new ScriptedBackend("solo", ScriptedBackend.Mode.KEEP_ALIVE, Duration.ZERO).start();
        open.add(only);
        ProxyServer proxy = proxy(settings(Duration.ofMillis(500)).withHealth(3, Duration.ofSeconds(3)),
                backend("only", only.url(), 100));
        HttpClient http = HttpClient.newHttpClient();
        assertThat(problem(http.send(chat(proxy, "solo", false), HttpResponse.BodyHandlers.ofString()), false)).isEmpty();

        only.stop();  // a restart: gone for a second
        var waiting = http.sendAsync(chat(proxy, "solo", true), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(1000);
        only.start();
        assertThat(problem(waiting.get(), true)).as("waited for the backend instead of failing").isEmpty();

        only.stop();  // gone for good
        long start = System.nanoTime();
        HttpResponse<String> refused = http.send(chat(proxy, "solo", false), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).contains("1");
        assertThat(JSON.readTree(refused.body()).at("/error/code").asText()).isEqualTo("backend_unavailable");
        assertThat(JSON.readTree(refused.body()).at("/error/message").asText()).contains("connection refused");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(2500), Duration.ofSeconds(6));
    }

    private static boolean healthy(ProxyServer proxy, String name) throws Exception {
        JsonNode health = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + proxy.port() + "/health")).build(), HttpResponse.BodyHandlers.ofString()).body());
        for (JsonNode b : health.path("backends")) {
            if (b.path("name").asText().equals(name)) {
                return b.path("healthy").asBoolean();
            }
        }
        throw new AssertionError("no backend " + name + " in " + health);
    }
}
