package systems.onebit.cli.models;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.ExitCode;
import systems.onebit.cli.ExitException;
import systems.onebit.cli.Output;
import systems.onebit.orchestrator.ondemand.RunningReport;
import systems.onebit.orchestrator.json.Trees;

/** {@code 1bit models running}: the models the proxy has loaded on demand (its {@code GET /running}). */
@Command(name = "running", mixinStandardHelpOptions = true,
        description = {"The models the proxy has loaded on demand: state, memory, idle time, backend.",
                "Exit code 0; 5 the proxy is not running."})
public final class ModelsRunning implements Callable<Integer> {

    @Option(names = "--json", description = "Print the proxy's answer: {budgetBytes, usedBytes, running: [...]}.")
    boolean json;

    private final CliContext context;

    public ModelsRunning(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        String body = ask(context, "GET", "/running", "");
        Output out = new Output(context.out(), context.env());
        if (json) {
            out.line(body.strip());
            return 0;
        }
        RunningReport report;
        try {
            report = RunningReport.parse(body);
        } catch (java.io.IOException e) {
            throw ExitException.of(ExitCode.FAILURE, "the proxy's /running answer is not what 1bit writes: " + e.getMessage());
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("MODEL", "STATE", "MEMORY", "IN FLIGHT", "IDLE", "RESTARTS", "BACKEND", "URL"));
        for (RunningReport.Entry m : report.running()) {
            rows.add(List.of(m.model() + (m.pinned() ? " (pinned)" : ""), m.state(), ModelsCommand.gib(m.memoryBytes()),
                    Integer.toString(m.inFlight()), String.format("%.0f s", m.idleSeconds()), Integer.toString(m.restarts()),
                    m.backend(), m.url()));
        }
        out.table(rows);
        out.line(ModelsCommand.gib(report.usedBytes()) + " of " + ModelsCommand.gib(report.budgetBytes())
                + " budget in use");
        return 0;
    }

    /** {@code 1bit models unload [MODEL]}: the proxy's {@code POST /unload}. */
    @Command(name = "unload", mixinStandardHelpOptions = true,
            description = {"Unload a model the proxy loaded on demand (default: every one), pinned ones included; "
                    + "waits for its in-flight requests first (bounded).",
                    "Exit code 0; 3 no such registered model; 5 the proxy is not running."})
    public static final class Unload implements Callable<Integer> {
        @Parameters(paramLabel = "MODEL", arity = "0..1", description = "The model alias (default: all).")
        String model;

        @Option(names = "--json", description = "Print {status, unloaded: [...]}.")
        boolean json;

        private final CliContext context;

        public Unload(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            String body = ask(context, "POST", "/unload", model == null ? "" : Trees.writeJson(java.util.Map.of("model", model)));
            if (json) {
                context.out().println(body.strip());
                return 0;
            }
            List<String> unloaded = new ArrayList<>();
            parse(body).path("unloaded").forEach(n -> unloaded.add(n.asText()));
            context.out().println(unloaded.isEmpty() ? "nothing was loaded" : "unloaded " + String.join(", ", unloaded));
            return 0;
        }
    }

    /** One call to the running proxy (with the API key when one is set); its errors become exit codes. */
    static String ask(CliContext context, String method, String path, String json) {
        URI url = context.registry().read().proxyUrl().resolve(path);
        HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(2))
                .method(method, json.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json");
        String key = context.env().getOrDefault("ONEBIT_API_KEY", "");
        if (!key.isEmpty()) {
            request.header("Authorization", "Bearer " + key);
        }
        HttpResponse<String> answer;
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            // The JDK's client says nothing for a refused connection.
            throw ExitException.of(ExitCode.PRECONDITION, "the proxy is not answering on " + url + " ("
                    + (e.getMessage() == null ? "connection refused" : e.getMessage()) + "): start it with `1bit up` (a proxy "
                    + "started on another port is found through the registry's proxy.port)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ExitException.of(ExitCode.FAILURE, "interrupted");
        }
        if (answer.statusCode() == 404) {
            throw ExitException.of(ExitCode.NOT_FOUND, parse(answer.body()).path("error").path("message").asText(answer.body()));
        }
        if (answer.statusCode() != 200) {
            throw ExitException.of(ExitCode.PRECONDITION, "the proxy answered " + answer.statusCode() + ": "
                    + parse(answer.body()).path("error").path("message").asText(answer.body()));
        }
        return answer.body();
    }

    private static JsonNode parse(String body) {
        try {
            return Trees.read(Trees.JSON, body);
        } catch (IOException e) {
            throw ExitException.of(ExitCode.FAILURE, "the proxy's answer is not JSON: " + e.getMessage());
        }
    }
}
