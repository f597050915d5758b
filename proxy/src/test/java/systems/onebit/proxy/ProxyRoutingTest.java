package systems.onebit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import systems.onebit.orchestrator.pull.PullJobs;
import org.junit.jupiter.api.Test;
import systems.onebit.orchestrator.ondemand.ModelScheduler;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.status.StatusReport;

/**
 * The proxy's HTTP layer on Helidon's test server, set up through the same {@link ProxyRoutes} production
 * uses, over a fixed backend snapshot: everything decided before a request is forwarded (listing, routing errors,
 * limits, access control). Forwarding itself is tested against real llama-servers (ProxyIT and the other ITs).
 */
@ServerTest
class ProxyRoutingTest {

    // Nothing listens on these ports: no test here may reach a backend.
    private static final List<LiveBackend> BACKENDS = List.of(
            new LiveBackend("gpu", URI.create("http://127.0.0.1:9"), 100, List.of("qwen3", "shared"), true),
            new LiveBackend("npu", URI.create("http://127.0.0.1:9"), 200, List.of("llama3.2-1b", "shared"), true),
            new LiveBackend("old", URI.create("http://127.0.0.1:9"), 50, List.of("gone"), false),
            new LiveBackend("hf", URI.create("http://127.0.0.1:9/openai/v1"), 300, List.of("unsloth/Qwen3-8B-GGUF:Q4_K_M"), true));
    private static final Registry REGISTRY = new Registry("127.0.0.1", 0, "gpu", List.of(), Map.of("fast", "qwen3"));

    private final Http1Client client;
    private final URI server;

    ProxyRoutingTest(Http1Client client, URI server) {
        this.client = client;
        this.server = server;
    }

    @SetUpRoute
    static void routing(HttpRouting.Builder rules) {
        // A request for a model whose backend is down waits up to half a second for it, then gets its 503.
        ProxyServer.Settings settings = ProxyServer.Settings.defaults(REGISTRY).withMaxBodyBytes(1024)
                .withAccess("sesame", List.of("http://localhost:3000")).withHealth(3, Duration.ofMillis(500));
        ProxyServer.routes(Backends.fixed(BACKENDS), () -> REGISTRY, settings, new Observer(line -> { }),
                ModelScheduler.none(), new ConcurrencyGate(8, 8), ProxyServer.upstream(settings),
                new BackendKeys(() -> REGISTRY, Map.of()), PullJobs.none(), registry -> java.util.Optional.of(STACK)).register(rules);
    }

    /** What the CLI's StatusService would have found (its own logic is tested in StatusServiceTest). */
    private static final StatusReport STACK = new StatusReport(List.of(
            new StatusReport.Component("proxy", "proxy", "http://127.0.0.1:13306", "running", "healthy", 3, 2, true),
            new StatusReport.Component("gpu", "toolbox", "http://127.0.0.1:13305", "running", "loading", -1, 4, true)));

    @Test
    void theStacksStatusIsServedAsTheCliReportsItAndNeedsTheKey() throws Exception {
        JsonNode doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(get("/api/v1/status"));
        assertThat(doc.path("state").asText()).isEqualTo("degraded");
        assertThat(doc.path("components")).extracting(c -> c.path("name").asText() + "=" + c.path("health").asText()
                + "/" + c.path("models").asText()).containsExactly("proxy=healthy/3", "gpu=loading/null");
        try (HttpClientResponse res = client.get("/api/v1/status").request()) {
            assertThat(res.status()).isEqualTo(Status.UNAUTHORIZED_401);
        }
    }

    private HttpClientResponse post(String path, String body) {
        return client.post(path).header(HeaderNames.AUTHORIZATION, "Bearer sesame")
                .header(HeaderNames.CONTENT_TYPE, "application/json").submit(body);
    }

    private String get(String path) {
        try (HttpClientResponse res = client.get(path).header(HeaderNames.AUTHORIZATION, "Bearer sesame").request()) {
            String body = res.as(String.class);
            assertThat(res.status()).as(body).isEqualTo(Status.OK_200);
            return body;
        }
    }

    @Test
    void modelsAreTheUnionOfHealthyBackendsInPriorityOrderWithAliases() throws Exception {
        for (String prefix : List.of("/v1", "/api/v1", "/api/v0")) {
            String body = get(prefix + "/models");
            assertThat(body).contains("\"id\":\"qwen3\",\"object\":\"model\",\"created\":0,\"owned_by\":\"gpu\"")
                    .contains("\"id\":\"shared\",\"object\":\"model\",\"created\":0,\"owned_by\":\"gpu\"")
                    .contains("\"id\":\"llama3.2-1b\"").contains("\"id\":\"fast\",\"object\":\"model\",\"created\":0,\"owned_by\":\"gpu\"")
                    .doesNotContain("\"gone\"");
            assertThat(body.indexOf("\"qwen3\"")).isLessThan(body.indexOf("\"llama3.2-1b\""));
        }
        assertThat(get("/v1/models/llama3.2-1b")).contains("\"owned_by\":\"npu\"");
        // Ids with '/' and ':' (Hugging Face repos with a quant tag), raw or percent-encoded.
        assertThat(get("/v1/models/unsloth/Qwen3-8B-GGUF:Q4_K_M")).contains("\"id\":\"unsloth/Qwen3-8B-GGUF:Q4_K_M\"");
        java.net.http.HttpResponse<String> encoded = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(server.resolve("/api/v1/models/unsloth%2FQwen3-8B-GGUF%3AQ4_K_M")).header("Authorization", "Bearer sesame")
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(encoded.body()).contains("\"owned_by\":\"hf\"");
    }

    @Test
    void headAnswersLikeGetWithoutABodyAndHttp10IsAClear505() throws Exception {
        // Raw, on one kept-alive connection: a body sent after a HEAD answer would be read as the next answer.
        try (Socket socket = new Socket(server.getHost(), server.getPort())) {
            socket.setSoTimeout(5000);
            for (String path : List.of("/health", "/v1/models", "/v1/models/qwen3", "/running", "/metrics")) {
                socket.getOutputStream().write(("HEAD " + path + " HTTP/1.1\r\nHost: proxy\r\nAuthorization: Bearer sesame\r\n\r\n"
                        + "GET /health HTTP/1.1\r\nHost: proxy\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String head = readHead(socket.getInputStream());
                assertThat(head).as(path).startsWith("HTTP/1.1 200 OK").containsPattern("(?i)content-length: *[1-9]");
                assertThat(readResponse(socket.getInputStream())).as("the answer after HEAD " + path)
                        .startsWith("HTTP/1.1 200 OK").contains("\"backends\"");
            }
        }
        try (Socket socket = new Socket(server.getHost(), server.getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("GET /health HTTP/1.0\r\nHost: proxy\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 505 HTTP Version Not Supported").containsIgnoringCase("connection: close");
        }
    }

    @Test
    void llamaServerEndpointsAreRoutedByModelAndWaitForADownBackendBeforeA503() {
        // "gone" is served only by a down backend: the request waits (here half a second) for it, then 503.
        long start = System.nanoTime();
        try (HttpClientResponse res = client.get("/llama/props").queryParam("model", "gone")
                .header(HeaderNames.AUTHORIZATION, "Bearer sesame").request()) {
            assertThat(res.status()).isEqualTo(Status.SERVICE_UNAVAILABLE_503);
            assertThat(res.headers().first(HeaderNames.RETRY_AFTER)).contains("1");
            assertThat(res.as(String.class)).contains("\"code\":\"backend_unavailable\"");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(500));
        try (HttpClientResponse res = post("/llama/tokenize", "{\"model\":\"nope\",\"content\":\"hi\"}")) {
            assertThat(res.status()).isEqualTo(Status.NOT_FOUND_404);
        }
    }

    @Test
    void anUnknownModelIsA404ThatListsTheAvailableOnes() {
        try (HttpClientResponse res = post("/v1/chat/completions", "{\"model\":\"gpt-4o\",\"messages\":[]}")) {
            assertThat(res.status()).isEqualTo(Status.NOT_FOUND_404);
            assertThat(res.as(String.class)).contains("\"code\":\"model_not_found\"")
                    .contains("model 'gpt-4o' is not served here; available: qwen3, shared, llama3.2-1b, unsloth/Qwen3-8B-GGUF:Q4_K_M");
        }
    }

    @Test
    void aModelWhoseOnlyBackendIsDownIs503NotRoutedElsewhere() {
        try (HttpClientResponse res = post("/api/v1/chat/completions", "{\"model\":\"gone\"}")) {
            assertThat(res.status()).isEqualTo(Status.SERVICE_UNAVAILABLE_503);
            assertThat(res.as(String.class)).contains("\"code\":\"backend_unavailable\"");
        }
    }

    @Test
    void malformedJsonAndOversizedBodiesAreRefusedInOpenAiErrorFormat() {
        try (HttpClientResponse res = post("/v1/completions", "{\"model\": ")) {
            assertThat(res.status()).isEqualTo(Status.BAD_REQUEST_400);
            assertThat(res.as(String.class)).startsWith("{\"error\":{\"message\":\"request body is not valid JSON")
                    .contains("\"type\":\"invalid_request_error\",\"code\":\"invalid_json\"");
        }
        try (HttpClientResponse res = post("/v1/completions", "{\"model\":\"qwen3\",\"prompt\":\"" + "x".repeat(2000) + "\"}")) {
            assertThat(res.status()).isEqualTo(Status.REQUEST_ENTITY_TOO_LARGE_413);
            assertThat(res.as(String.class)).contains("\"code\":\"request_too_large\"");
        }
    }

    @Test
    void theApiKeyIsRequiredExceptForHealthAndCorsAnswersOnlyListedOrigins() {
        try (HttpClientResponse res = client.get("/v1/models").request()) {
            assertThat(res.status()).isEqualTo(Status.UNAUTHORIZED_401);
            assertThat(res.as(String.class)).contains("\"code\":\"invalid_api_key\"");
        }
        try (HttpClientResponse res = client.get("/v1/models").header(HeaderNames.AUTHORIZATION, "Bearer sesamf").request()) {
            assertThat(res.status()).isEqualTo(Status.UNAUTHORIZED_401);
        }
        try (HttpClientResponse res = client.get("/health").request()) {
            assertThat(res.status()).isEqualTo(Status.OK_200);
            assertThat(res.as(String.class)).contains("\"name\":\"old\"", "\"healthy\":false");
        }
        try (HttpClientResponse res = client.method(io.helidon.http.Method.OPTIONS).path("/v1/chat/completions")
                .header(HeaderNames.ORIGIN, "http://localhost:3000").request()) {
            assertThat(res.status()).isEqualTo(Status.NO_CONTENT_204);
            assertThat(res.headers().first(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).contains("http://localhost:3000");
        }
        try (HttpClientResponse res = client.get("/health").header(HeaderNames.ORIGIN, "http://evil.example").request()) {
            assertThat(res.headers().first(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isEmpty();
        }
    }

    @Test
    void withNoModelsOnDemandRunningIsEmptyAndUnloadingAnUnknownModelIs404() {
        assertThat(get("/running")).contains("\"running\":[]", "\"budgetBytes\":0");
        try (HttpClientResponse res = post("/unload", "{\"model\":\"qwen3\"}")) {
            assertThat(res.status()).isEqualTo(Status.NOT_FOUND_404);
            assertThat(res.as(String.class)).contains("not registered");
        }
        try (HttpClientResponse res = post("/v1/unload", "")) {
            assertThat(res.status()).isEqualTo(Status.OK_200);
            assertThat(res.as(String.class)).contains("\"unloaded\":[]");
        }
    }

    @Test
    void aClientThatAsksToCloseGetsItsAnswerAndThenTheEndOfTheStream() throws Exception {
        String body = "{\"model\":\"gpt-4o\",\"messages\":[]}";
        List<String> requests = List.of(
                "GET /health HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n",
                "POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nAuthorization: Bearer sesame\r\n"
                        + "Content-Type: application/json\r\nContent-Length: " + body.length()
                        + "\r\nConnection: TE, Close\r\n\r\n" + body,
                "GET /v1/models HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n");
        List<String> statuses = new java.util.ArrayList<>();
        for (String request : requests) {
            try (Socket socket = new Socket(server.getHost(), server.getPort())) {
                socket.setSoTimeout(5000);  // a connection left open fails here instead of hanging
                socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertThat(answer).containsIgnoringCase("connection: close");
                statuses.add(answer.substring(0, answer.indexOf("\r\n")));
            }
        }
        assertThat(statuses).containsExactly("HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 401 Unauthorized");
    }

    @Test
    void aKeepAliveConnectionServesOneRequestAfterAnother() throws Exception {
        try (Socket socket = new Socket(server.getHost(), server.getPort())) {
            socket.setSoTimeout(5000);
            for (int i = 0; i < 3; i++) {
                socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: proxy\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 200 OK").contains("\"backends\"");
            }
        }
    }

    /** The status line and headers of one response. */
    private static String readHead(InputStream in) throws java.io.IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            assertThat(b).as("the connection closed before the end of the headers").isNotNegative();
            head.write(b);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** One response with a Content-Length body, read without waiting for the connection's end. */
    private static String readResponse(InputStream in) throws java.io.IOException {
        String headers = readHead(in);
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(headers);
        assertThat(length.find()).as(headers).isTrue();
        return headers + new String(in.readNBytes(Integer.parseInt(length.group(1))), StandardCharsets.US_ASCII);
    }
}
