package systems.onebit.orchestrator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import systems.onebit.orchestrator.OrchestratorException;

/**
 * The live endpoint as apps see it: streaming chat completions through the proxy, one stream and then N at once,
 * timing the first content token (what a chat window waits for) and the tokens per second each stream receives.
 * A token is a content chunk of the SSE stream (llama-server sends one per token), or the final usage when given.
 */
public final class EndpointBench {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROMPT = "Write a long story about a lighthouse keeper who builds a computer.";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;
    private final String apiKey;

    /** @param apiKey sent as a Bearer token; empty for none */
    public EndpointBench(URI base, String apiKey) {
        this.base = base;
        this.apiKey = apiKey;
    }

    /** One round: {@code streams} at once. */
    public record Round(int streams, List<Stream> results, double wallSeconds) {
        public Round {
            results = List.copyOf(results);
        }

        public List<Stream> completed() {
            return results.stream().filter(s -> s.error().isEmpty()).toList();
        }

        /** Tokens every stream of the round received, per second of the round. */
        public double totalTokensPerSecond() {
            return completed().stream().mapToInt(Stream::tokens).sum() / wallSeconds;
        }

        public double medianTtftMs() {
            return median(completed().stream().mapToDouble(Stream::ttftMs).toArray());
        }

        public double medianTokensPerSecond() {
            return median(completed().stream().mapToDouble(Stream::tokensPerSecond).toArray());
        }
    }

    /** One stream: time to the first token, tokens and their rate after it; an error instead when it failed. */
    public record Stream(double ttftMs, int tokens, double tokensPerSecond, String error) {
    }

    /** The first model the endpoint lists. */
    public String firstModel() {
        try {
            HttpResponse<String> answer = http.send(request("/v1/models").GET().build(), HttpResponse.BodyHandlers.ofString());
            JsonNode data = answer.statusCode() == 200 ? JSON.readTree(answer.body()).path("data") : JSON.missingNode();
            if (!data.isArray() || data.isEmpty()) {
                throw OrchestratorException.precondition(base + "/v1/models lists no model (HTTP " + answer.statusCode() + ")",
                        "give the model: `1bit bench --endpoint MODEL`; `1bit status` shows what is up");
            }
            return data.get(0).path("id").asText();
        } catch (IOException e) {
            throw OrchestratorException.precondition("the proxy does not answer on " + base + " (" + e.getMessage() + ")",
                    "start it with `1bit up`");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw OrchestratorException.precondition("interrupted", "run it again");
        }
    }

    public Round round(String model, int streams, int maxTokens, Duration timeout) throws InterruptedException {
        List<Callable<Stream>> work = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            work.add(() -> stream(model, maxTokens, timeout));
        }
        long start = System.nanoTime();
        List<Stream> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<Stream> f : pool.invokeAll(work)) {
                try {
                    results.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    results.add(new Stream(0, 0, 0, String.valueOf(e.getCause())));
                }
            }
        }
        return new Round(streams, results, (System.nanoTime() - start) / 1e9);
    }

    private Stream stream(String model, int maxTokens, Duration timeout) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        body.putArray("messages").addObject().put("role", "user").put("content", PROMPT);
        body.put("max_tokens", maxTokens);
        body.put("temperature", 0);
        body.put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        long sent = System.nanoTime();
        HttpResponse<InputStream> answer = http.send(request("/v1/chat/completions").timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (answer.statusCode() != 200) {
            try (InputStream in = answer.body()) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                return new Stream(0, 0, 0, "HTTP " + answer.statusCode() + ": " + text.strip());
            }
        }
        long first = 0;
        long last = 0;
        int chunks = 0;
        int usage = -1;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(answer.body(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                    continue;
                }
                JsonNode event = JSON.readTree(line.substring(6));
                if (event.path("usage").path("completion_tokens").isNumber()) {
                    usage = event.path("usage").path("completion_tokens").asInt();
                }
                JsonNode delta = event.path("choices").path(0).path("delta");
                String text = delta.path("content").asText("") + delta.path("reasoning_content").asText("");
                if (!text.isEmpty()) {
                    last = System.nanoTime();
                    first = first == 0 ? last : first;
                    chunks++;
                }
            }
        }
        if (chunks == 0) {
            return new Stream(0, 0, 0, "the stream ended without a token");
        }
        int tokens = usage > 0 ? usage : chunks;
        double after = (last - first) / 1e9;
        return new Stream((first - sent) / 1e6, tokens, after > 0 ? (tokens - 1) / after : 0, "");
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
        if (!apiKey.isEmpty()) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        return b;
    }

    private static double median(double[] values) {
        if (values.length == 0) {
            return 0;
        }
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }
}
