package systems.onebit.orchestrator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.json.Trees;
import systems.onebit.orchestrator.manifest.ManifestCatalog;
import systems.onebit.orchestrator.manifest.ToolboxManifest;
import systems.onebit.orchestrator.toolbox.OneShot;

/**
 * `1bit bench`: {@code llama-bench -o json} inside each flavor's image against one model, with the devices and
 * mounts a backend gets; every run kept as a line of {@code runs.jsonl} (date, image, flavor, model, sizes, tokens/s)
 * and compared with the previous run of the same model and flavor — the check owners redo at each image update.
 */
public final class BenchService {

    /** One measured run: prompt processing and generation tokens/s. */
    public record Run(Instant at, String flavor, String image, String model, int prompt, int generate, double promptPerSecond,
                      double generatePerSecond) {
    }

    /** Per flavor: a run (with the one before it, if any), or why it could not run. */
    public sealed interface Outcome permits Measured, Failed {
        String flavor();
    }

    public record Measured(String flavor, Run run, Optional<Run> previous) implements Outcome {
    }

    public record Failed(String flavor, OrchestratorException why) implements Outcome {
    }

    /** One run per line, compact. */
    private static final JsonMapper LINES = JsonMapper.builder().build();

    private final Supplier<ManifestCatalog> catalog;
    private final OneShot oneShot;
    private final Path runs;

    /** @param runs the JSONL file runs are appended to ({@code $XDG_DATA_HOME/1bit/bench/runs.jsonl}) */
    public BenchService(Supplier<ManifestCatalog> catalog, OneShot oneShot, Path runs) {
        this.catalog = catalog;
        this.oneShot = oneShot;
        this.runs = runs;
    }

    public List<Outcome> bench(Path model, List<String> flavors, int prompt, int generate, Duration timeout,
                               Consumer<String> progress) throws InterruptedException {
        if (!Files.isReadable(model)) {
            throw OrchestratorException.notFound("no readable model at " + model, "give a .gguf file or a registered model");
        }
        List<Outcome> out = new ArrayList<>();
        for (String flavor : flavors) {
            try {
                ToolboxManifest manifest = catalog.get().get(flavor);
                progress.accept(flavor + ": llama-bench -p " + prompt + " -n " + generate + " in " + manifest.image());
                List<String> args = new ArrayList<>(List.of("-m", "{model}", "-p", Integer.toString(prompt), "-n",
                        Integer.toString(generate), "-r", "2", "-o", "json"));
                List<String> command = manifest.commandFor("127.0.0.1", 0, "");
                int ngl = command.indexOf("-ngl");
                if (ngl >= 0 && ngl + 1 < command.size()) {
                    args.addAll(List.of("-ngl", command.get(ngl + 1)));  // offloaded as the flavor's backends are
                }
                OneShot.Result result = oneShot.run(manifest, model, "llama-bench", args, timeout, progress);
                if (!result.succeeded()) {
                    throw OrchestratorException.precondition("llama-bench in " + manifest.image() + " ended " + result.status()
                            + ": " + lastLine(result.stderr()), "run it by hand in `1bit toolbox enter` to see more");
                }
                Run run = parse(result.stdout(), flavor, manifest.image(), model.getFileName().toString(), prompt, generate);
                Optional<Run> previous = last(run.model(), flavor);
                append(run);
                out.add(new Measured(flavor, run, previous));
            } catch (OrchestratorException e) {
                out.add(new Failed(flavor, e));
            }
        }
        return out;
    }

    /** llama-bench's JSON: one object per test; the prompt test has n_gen 0, the generation test n_prompt 0. */
    static Run parse(String stdout, String flavor, String image, String model, int prompt, int generate) {
        try {
            int start = stdout.indexOf('[');
            JsonNode tests = Trees.read(Trees.JSON, start >= 0 ? stdout.substring(start) : stdout);
            double pp = 0;
            double tg = 0;
            for (JsonNode t : tests) {
                if (t.path("n_gen").asInt() == 0 && t.path("n_prompt").asInt() > 0) {
                    pp = t.path("avg_ts").asDouble();
                } else if (t.path("n_prompt").asInt() == 0 && t.path("n_gen").asInt() > 0) {
                    tg = t.path("avg_ts").asDouble();
                }
            }
            if (pp == 0 && tg == 0) {
                throw new IOException("no prompt or generation test in its output");
            }
            return new Run(Instant.now(), flavor, image, model, prompt, generate, pp, tg);
        } catch (IOException e) {
            throw OrchestratorException.precondition("llama-bench's output is not its JSON (" + e.getMessage() + ")",
                    "run it by hand in `1bit toolbox enter`");
        }
    }

    /** The latest stored run of {@code model} with {@code flavor}. */
    Optional<Run> last(String model, String flavor) {
        return history().stream().filter(r -> r.model().equals(model) && r.flavor().equals(flavor)).reduce((a, b) -> b);
    }

    public List<Run> history() {
        List<Run> out = new ArrayList<>();
        try {
            if (!Files.exists(runs)) {
                return out;
            }
            for (String line : Files.readAllLines(runs, StandardCharsets.UTF_8)) {
                JsonNode r = Trees.read(Trees.JSON, line);
                out.add(new Run(Instant.parse(r.path("at").asText()), r.path("flavor").asText(), r.path("image").asText(),
                        r.path("model").asText(), r.path("prompt").asInt(), r.path("generate").asInt(),
                        r.path("promptTokensPerSecond").asDouble(), r.path("generateTokensPerSecond").asDouble()));
            }
        } catch (IOException | RuntimeException e) {
            // an unreadable history compares with nothing
        }
        return out;
    }

    private void append(Run run) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("at", run.at().toString());
        doc.put("flavor", run.flavor());
        doc.put("image", run.image());
        doc.put("model", run.model());
        doc.put("prompt", run.prompt());
        doc.put("generate", run.generate());
        doc.put("promptTokensPerSecond", run.promptPerSecond());
        doc.put("generateTokensPerSecond", run.generatePerSecond());
        try {
            Files.createDirectories(runs.getParent());
            Files.writeString(runs, LINES.writeValueAsString(doc) + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw OrchestratorException.precondition("cannot keep the run in " + runs + " (" + e.getMessage() + ")",
                    "check that " + runs.getParent() + " is writable");
        }
    }

    private static String lastLine(String text) {
        List<String> lines = text.strip().lines().toList();
        return lines.isEmpty() ? "(no output)" : lines.getLast();
    }
}
