package systems.onebit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.testing.LlamaServer;
import systems.onebit.orchestrator.testing.TinyGguf;

/**
 * Faults behind the proxy: a backend killed mid-stream, one that lists models and then never answers, one that
 * answers garbage. Each gives its documented outcome, and the proxy keeps serving the healthy backend throughout.
 */
class ProxyFaultsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    /** A backend that answers /v1/models for {@code model} and then, for any other request, {@code behaviour}. */
    private URI fakeBackend(String model, String behaviour) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        List<Socket> held = new CopyOnWriteArrayList<>();
        open.add(() -> {
            server.close();
            for (Socket s : held) {
                s.close();
            }
        });
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread.ofVirtual().start(() -> serve(s, model, behaviour, held));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    private static void serve(Socket s, String model, String behaviour, List<Socket> held) {
        try {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            String requestLine = in.readLine();
            OutputStream out = s.getOutputStream();
            if (requestLine != null && requestLine.startsWith("GET /v1/models")) {
                byte[] body = ("{\"object\":\"list\",\"data\":[{\"id\":\"" + model + "\"}]}").getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                s.close();
                return;
            }
            if (behaviour.equals("hang")) {
                held.add(s);  // accepted, never answered
                return;
            }
            if (behaviour.equals("reasoning")) {
                int length = 0;
                for (String line; (line = in.readLine()) != null && !line.isEmpty(); ) {
                    if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(15).strip());
                    }
                }
                char[] request = new char[length];
                int read = 0;
                while (read < length) {
                    int n = in.read(request, read, length - read);
                    if (n < 0) {
                        break;
                    }
                    read += n;
                }
                boolean stream = new String(request).contains("\"stream\":true");
                String payload = stream
                        ? "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"thinking\"}}]}\n\n"
                        + "data: {\"choices\":[{\"delta\":{\"content\":\"answer\"}}]}\n\ndata: [DONE]\n\n"
                        : "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"reasoning_content\":\"thought\"}}]}";
                byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: " + (stream ? "text/event-stream" : "application/json")
                        + "\r\nContent-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(bytes);
                s.close();
                return;
            }
            if (behaviour.equals("stall")) {
                // One event, then silence with the connection open.
                for (String line; (line = in.readLine()) != null && !line.isEmpty(); ) {
                    // skip the request headers; the body stays unread
                }
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                byte[] event = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n".getBytes(StandardCharsets.UTF_8);
                out.write((Integer.toHexString(event.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(event);
                out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                held.add(s);
                return;
            }
            if (behaviour.equals("big")) {
                // A 32 MB answer with its length: more than the sockets between the proxy and a client hold.
                for (String line; (line = in.readLine()) != null && !line.isEmpty(); ) {
                    // the request's body is small and stays unread
                }
                byte[] head = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"".getBytes(StandardCharsets.UTF_8);
                byte[] tail = "\"}}]}".getBytes(StandardCharsets.UTF_8);
                byte[] filler = "x".repeat(1 << 20).getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                        + (head.length + 32L * filler.length + tail.length) + "\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(head);
                for (int i = 0; i < 32; i++) {
                    out.write(filler);
                }
                out.write(tail);
                s.close();
                return;
            }
            if (behaviour.equals("close-after-answer")) {
                // Reads the request, answers, and closes the connection, as FastFlowLM does.
                int length = 0;
                for (String line; (line = in.readLine()) != null && !line.isEmpty(); ) {
                    if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(15).strip());
                    }
                }
                for (int i = 0; i < length; i++) {
                    in.read();
                }
                byte[] body = ("{\"text\":\"transcribed by " + model + "\"}").getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                s.close();
                return;
            }
            out.write("garbage that is not HTTP\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            s.close();
        } catch (IOException e) {
            // the proxy gave up on us
        }
    }

    private ProxyServer proxy(List<Backend> backends, Duration firstByte) {
        return proxy(backends, firstByte, 8, 64, "", List.of());
    }

    private ProxyServer proxy(List<Backend> backends, Duration firstByte, int concurrent, int queue, String key,
                              List<String> origins) {
        Registry registry = new Registry("127.0.0.1", 0, backends.getFirst().name(), backends);
        ProxyServer proxy = ProxyServer.start(registry, ProxyServer.Settings.defaults(registry).withPort(0)
                .withLimits(concurrent, queue, firstByte).withAccess(key, origins));
        open.add(proxy);
        return proxy;
    }

    private static HttpResponse<String> get(ProxyServer proxy, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + path));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void multipartTranscriptionsRouteByTheirModelFieldToABackendThatClosesEachConnection() throws Exception {
        ProxyServer proxy = proxy(List.of(backend("npu", fakeBackend("whisper-v3", "close-after-answer")),
                backend("other", fakeBackend("whisper-tiny", "close-after-answer"))), Duration.ofSeconds(5));
        String boundary = "----1bit" + System.nanoTime();
        byte[] audio = new byte[200_000];
        new java.util.Random(1).nextBytes(audio);
        for (String model : List.of("whisper-v3", "whisper-tiny", "whisper-v3")) {
            java.io.ByteArrayOutputStream form = new java.io.ByteArrayOutputStream();
            form.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                    + "Content-Type: audio/wav\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            form.writeBytes(audio);
            form.writeBytes(("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n" + model
                    + "\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port()
                            + "/v1/audio/transcriptions")).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(form.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).get("text").asText()).isEqualTo("transcribed by " + model);
        }
    }

    @Test
    void reasoningContentIsCopiedIntoEmptyContentWhenAsked() throws Exception {
        URI thinker = fakeBackend("thinker", "reasoning");
        Registry registry = new Registry("127.0.0.1", 13306, "t", List.of(backend("t", thinker)));
        for (boolean compat : new boolean[] {false, true}) {
            ProxyServer proxy = ProxyServer.start(RegistryWatch.fixed(registry), ProxyServer.Settings.defaults(registry)
                    .withPort(0).withReasoningAsContent(compat), new Observer(line -> { }));
            open.add(proxy);
            JsonNode plain = JSON.readTree(chat(proxy, "thinker").body());
            assertThat(plain.at("/choices/0/message/content").asText()).isEqualTo(compat ? "thought" : "");
            assertThat(plain.at("/choices/0/message/reasoning_content").asText()).isEqualTo("thought");
            String body = "{\"model\":\"thinker\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            List<String> events = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port()
                            + "/v1/chat/completions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString())
                    .body().lines().filter(l -> l.startsWith("data: ")).toList();
            assertThat(events).hasSize(3);
            assertThat(JSON.readTree(events.get(0).substring(6)).at("/choices/0/delta/content").asText())
                    .isEqualTo(compat ? "thinking" : "");
            assertThat(JSON.readTree(events.get(1).substring(6)).at("/choices/0/delta/content").asText()).isEqualTo("answer");
            assertThat(events.get(2)).isEqualTo("data: [DONE]");
        }
    }

    @Test
    void aClientThatDisconnectsCancelsItsUpstreamGeneration() throws Exception {
        // Unstopped, this generation would run for many seconds; the slot must be free soon after the client leaves.
        LlamaServer long_ = LlamaServer.start(new TinyGguf().seed(9).context(32768).write(dir.resolve("long.gguf")),
                "long", dir, 32768, List.of("-np", "1"));
        open.add(long_);
        ProxyServer proxy = proxy(List.of(backend("long", long_.url())), Duration.ofMinutes(1));
        String body = "{\"model\":\"long\",\"max_tokens\":30000,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
            client.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            BufferedReader reader = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
            int events = 0;
            for (String line; events < 3 && (line = reader.readLine()) != null; ) {
                if (line.startsWith("data: ")) {
                    events++;
                }
            }
            assertThat(events).isEqualTo(3);
            assertThat(processing(long_)).as("generating while the client reads").isTrue();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (processing(long_) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(processing(long_)).as("the upstream generation was cancelled").isFalse();
    }

    private static boolean processing(LlamaServer server) throws Exception {
        JsonNode slots = JSON.readTree(HTTP.send(HttpRequest.newBuilder(server.url().resolve("/slots")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        for (JsonNode slot : slots) {
            if (slot.path("is_processing").asBoolean()) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aStreamThatStallsIsEndedWithAnIdleTimeoutEvent() throws Exception {
        Registry registry = new Registry("127.0.0.1", 13306, "stuck", List.of(backend("stuck", fakeBackend("slow", "stall"))));
        ProxyServer proxy = ProxyServer.start(RegistryWatch.fixed(registry), ProxyServer.Settings.defaults(registry)
                .withPort(0).withTimers(Duration.ofMinutes(10), Duration.ofSeconds(1)), new Observer(line -> { }));
        open.add(proxy);
        long start = System.nanoTime();
        String body = "{\"model\":\"slow\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port()
                        + "/v1/chat/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> events = r.body().lines().filter(l -> l.startsWith("data: ")).toList();
        assertThat(events).hasSize(2);
        assertThat(JSON.readTree(events.get(1).substring(6)).at("/error/code").asText()).isEqualTo("upstream_idle_timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
    }

    @Test
    void aFailingBackendIsTakenOutAfterTheThresholdUntilTheNextProbeThenRetried() throws Exception {
        LlamaServer good = LlamaServer.start(new TinyGguf().seed(8).write(dir.resolve("good.gguf")), "shared", dir);
        open.add(good);
        Backend flaky = new Backend("flaky", BackendKind.OPENAI, fakeBackend("shared", "garbage"), "", List.of(), List.of(), 10, true);
        Backend steady = new Backend("steady", BackendKind.OPENAI, good.url(), "", List.of(), List.of(), 20, true);
        Registry registry = new Registry("127.0.0.1", 13306, "flaky", List.of(flaky, steady));
        ProxyServer proxy = ProxyServer.start(RegistryWatch.fixed(registry), ProxyServer.Settings.defaults(registry)
                .withPort(0).withTimers(Duration.ofMillis(1500), Duration.ofMinutes(1)).withHealth(2, Duration.ofSeconds(5)),
                new Observer(line -> { }));
        open.add(proxy);
        // Garbage may mean the backend ran the request: it is not sent again, and one failure is not enough to fail over.
        assertThat(chat(proxy, "shared").statusCode()).as("the preferred backend answers garbage").isEqualTo(502);
        assertThat(chat(proxy, "shared").statusCode()).as("second failure in a row").isEqualTo(502);
        HttpResponse<String> third = chat(proxy, "shared");
        assertThat(third.statusCode()).as("marked down at the threshold: failed over").isEqualTo(200);
        assertThat(third.headers().firstValue("X-1bit-Backend")).contains("steady");
        Thread.sleep(2500);  // the next probe finds flaky's model list again: half-open, retried
        assertThat(chat(proxy, "shared").statusCode()).isEqualTo(502);
    }

    @Test
    void aFullQueueIs429WithRetryAfterWhileOtherBackendsServe() throws Exception {
        LlamaServer good = LlamaServer.start(new TinyGguf().seed(6).write(dir.resolve("good.gguf")), "good", dir);
        open.add(good);
        ProxyServer proxy = proxy(List.of(backend("hung", fakeBackend("slow", "hang")), backend("good", good.url())),
                Duration.ofSeconds(4), 1, 1, "", List.of());
        String body = "{\"model\":\"slow\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        var running = HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        Thread.sleep(300);
        var queued = HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        Thread.sleep(300);
        long start = System.nanoTime();
        HttpResponse<String> turnedAway = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(turnedAway.statusCode()).as(turnedAway.body()).isEqualTo(429);
        assertThat(turnedAway.headers().firstValue("Retry-After")).contains("1");
        assertThat(JSON.readTree(turnedAway.body()).at("/error/code").asText()).isEqualTo("queue_full");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(chat(proxy, "good").statusCode()).isEqualTo(200);
        assertThat(running.get().statusCode()).isEqualTo(504);
        assertThat(queued.get().statusCode()).isEqualTo(504);
    }

    @Test
    void aClientThatDoesNotReadItsAnswerDoesNotHoldTheBackendsSlot() throws Exception {
        // One slot: the next request runs as soon as the backend's answer is in, not once a slow client has it.
        ProxyServer proxy = proxy(List.of(backend("big", fakeBackend("big", "big"))), Duration.ofSeconds(4), 1, 8, "",
                List.of());
        byte[] body = "{\"model\":\"big\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}".getBytes(StandardCharsets.UTF_8);
        try (Socket stuck = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
            stuck.setReceiveBufferSize(4096);
            OutputStream out = stuck.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            stuck.getInputStream().readNBytes(12);  // its answer has begun; the rest stays unread
            long start = System.nanoTime();
            HttpResponse<String> next = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port()
                            + "/v1/chat/completions")).timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(next.statusCode()).isEqualTo(200);
            assertThat(next.body()).hasSizeGreaterThan(32 << 20).endsWith("\"}}]}");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void theApiKeyGuardsEveryRouteButHealthAndCorsAnswersAllowedOrigins() throws Exception {
        ProxyServer proxy = proxy(List.of(backend("junk", fakeBackend("noise", "garbage"))), Duration.ofSeconds(2), 8, 64,
                "s3cret-key", List.of("http://localhost:8080"));
        assertThat(get(proxy, "/v1/models").statusCode()).isEqualTo(401);
        assertThat(get(proxy, "/v1/models", "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
        HttpResponse<String> denied = get(proxy, "/api/v1/models", "Authorization", "Bearer s3cret-ke");
        assertThat(JSON.readTree(denied.body()).at("/error/code").asText()).isEqualTo("invalid_api_key");
        assertThat(get(proxy, "/v1/models", "Authorization", "Bearer s3cret-key").statusCode()).isEqualTo(200);
        assertThat(get(proxy, "/health").statusCode()).isEqualTo(200);

        HttpResponse<String> preflight = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port()
                        + "/v1/chat/completions")).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "http://localhost:8080").header("Access-Control-Request-Method", "POST").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).contains("http://localhost:8080");
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers").orElse("")).contains("Authorization");
        HttpResponse<String> other = get(proxy, "/v1/models", "Authorization", "Bearer s3cret-key", "Origin", "http://evil.example");
        assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }

    private static Backend backend(String name, URI url) {
        return new Backend(name, BackendKind.OPENAI, url, "", List.of(), List.of(), 100, true);
    }

    private static HttpResponse<String> chat(ProxyServer proxy, String model) throws Exception {
        String body = "{\"model\":\"" + model + "\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aBackendThatNeverAnswersIs504AndAGarbageOneIs502() throws Exception {
        LlamaServer good = LlamaServer.start(new TinyGguf().seed(3).write(dir.resolve("good.gguf")), "good", dir);
        open.add(good);
        ProxyServer proxy = proxy(List.of(backend("good", good.url()), backend("hung", fakeBackend("slow", "hang")),
                backend("junk", fakeBackend("noise", "garbage"))), Duration.ofMillis(1500));

        long start = System.nanoTime();
        HttpResponse<String> hung = chat(proxy, "slow");
        assertThat(hung.statusCode()).as(hung.body()).isEqualTo(504);
        assertThat(JSON.readTree(hung.body()).at("/error/code").asText()).isEqualTo("upstream_timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));

        HttpResponse<String> junk = chat(proxy, "noise");
        assertThat(junk.statusCode()).as(junk.body()).isEqualTo(502);
        assertThat(JSON.readTree(junk.body()).at("/error/type").asText()).isEqualTo("server_error");

        assertThat(chat(proxy, "good").statusCode()).isEqualTo(200);
    }

    @Test
    void aBackendKilledMidStreamEndsTheStreamWithAnErrorEvent() throws Exception {
        // A long context and a large max_tokens keep the victim streaming well past the moment it is killed.
        LlamaServer victim = LlamaServer.start(new TinyGguf().seed(4).context(32768).write(dir.resolve("victim.gguf")),
                "victim", dir, 16384);
        LlamaServer good = LlamaServer.start(new TinyGguf().seed(5).write(dir.resolve("good.gguf")), "good", dir);
        open.add(good);
        open.add(victim);
        ProxyServer proxy = proxy(List.of(backend("victim", victim.url()), backend("good", good.url())), Duration.ofMinutes(1));
        String body = "{\"model\":\"victim\",\"max_tokens\":16000,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        HttpResponse<java.io.InputStream> r = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> events = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith("data: ")) {
                    events.add(line.substring(6));
                    if (events.size() == 2) {
                        victim.kill();
                    }
                }
            }
        }
        assertThat(events.size()).isGreaterThan(2);
        JsonNode last = JSON.readTree(events.getLast());
        assertThat(last.at("/error/code").asText()).isEqualTo("upstream_error");
        assertThat(chat(proxy, "good").statusCode()).isEqualTo(200);
    }
}
