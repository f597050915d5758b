package systems.onebit.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.engine.PodmanEngine;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.toolbox.Toolbox;
import systems.onebit.orchestrator.toolbox.ToolboxService;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show every registered backend, toolbox container and the proxy, probed concurrently.",
                "Exit code 0: all enabled components healthy; 10: some unhealthy; 11: none healthy."})
public final class StatusCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print JSON: {state, components: [{name, kind, endpoint, enabled, container, health, ms}]}.")
    boolean json;

    @Option(names = "--timeout", defaultValue = "800", paramLabel = "MS", description = "Probe timeout (default ${DEFAULT-VALUE} ms).")
    int timeoutMs;

    private final CliContext context;

    public StatusCommand(CliContext context) {
        this.context = context;
    }

    record Component(String name, String kind, URI endpoint, String probePath, boolean enabled, String container) {
    }

    @Override
    public Integer call() {
        Registry registry = context.registry().read();
        Map<String, Toolbox> toolboxes = new LinkedHashMap<>();
        String engineNote = "";
        // Only a socket that already answers: status must stay fast and read-only.
        try (PodmanEngine engine = context.locator().withoutPrivateService().locate()) {
            new ToolboxService(context::catalog, engine, context.host(),
                    systems.onebit.orchestrator.host.ProcessLimits.read(context.host()))
                    .list().forEach(t -> toolboxes.put(t.name(), t));
        } catch (OrchestratorException e) {
            engineNote = "unknown (no Podman socket)";
        }
        List<Component> components = new ArrayList<>();
        URI proxy = URI.create("http://" + registry.proxyHost() + ":" + registry.proxyPort());
        components.add(new Component("proxy", "proxy", proxy, "/health", true, "-"));
        for (Backend b : registry.byPriority()) {
            Toolbox t = toolboxes.remove(b.name());
            String container = b.kind() != BackendKind.TOOLBOX ? "-"
                    : t != null ? t.state().id() : engineNote.isEmpty() ? "absent" : engineNote;
            components.add(new Component(b.name(), b.kind().id(), b.url(),
                    b.kind() == BackendKind.TOOLBOX ? "/health" : "/v1/models", b.enabled(), container));
        }
        for (Toolbox t : toolboxes.values()) {
            components.add(new Component(t.name(), "toolbox", t.url(), t.healthPath(), true, t.state().id()));
        }
        List<CompletableFuture<String[]>> probes;
        // Closed at once: a selector thread left in epoll at exit makes the JVM wait 300 ms before it ends.
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(timeoutMs)).build()) {
            probes = components.stream().map(c -> probe(http, c)).toList();
            CompletableFuture.allOf(probes.toArray(CompletableFuture[]::new)).join();
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        int enabled = 0;
        int healthy = 0;
        for (int i = 0; i < components.size(); i++) {
            Component c = components.get(i);
            String[] result = probes.get(i).join();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", c.name());
            row.put("kind", c.kind());
            row.put("endpoint", c.endpoint().toString());
            row.put("enabled", c.enabled());
            row.put("container", c.container());
            row.put("health", result[0]);
            row.put("ms", Long.parseLong(result[1]));
            rows.add(row);
            if (c.enabled()) {
                enabled++;
                if (result[0].equals("healthy")) {
                    healthy++;
                }
            }
        }
        ExitCode code = healthy == enabled ? ExitCode.OK : healthy == 0 ? ExitCode.DOWN : ExitCode.DEGRADED;
        String state = code == ExitCode.OK ? "healthy" : code == ExitCode.DOWN ? "down" : "degraded";
        Output out = new Output(context.out(), context.env());
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("state", state);
            doc.put("components", rows);
            out.json(doc);
        } else {
            List<List<String>> table = new ArrayList<>();
            table.add(List.of("COMPONENT", "KIND", "ENDPOINT", "ENABLED", "CONTAINER", "HEALTH", "MS"));
            for (Map<String, Object> r : rows) {
                String health = (String) r.get("health");
                table.add(List.of((String) r.get("name"), (String) r.get("kind"), (String) r.get("endpoint"),
                        (Boolean) r.get("enabled") ? "yes" : "no", (String) r.get("container"),
                        out.style(health.equals("healthy") ? "green" : "red", health), r.get("ms").toString()));
            }
            out.table(table);
            out.line("overall: " + state);
        }
        return code.code();
    }

    private CompletableFuture<String[]> probe(HttpClient http, Component c) {
        long start = System.nanoTime();
        HttpRequest request = HttpRequest.newBuilder(c.endpoint().resolve(c.probePath()))
                .timeout(Duration.ofMillis(timeoutMs)).GET().build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                .handle((response, error) -> new String[] {
                        error != null ? "down" : response.statusCode() == 200 ? "healthy" : "http " + response.statusCode(),
                        Long.toString((System.nanoTime() - start) / 1_000_000)});
    }
}
