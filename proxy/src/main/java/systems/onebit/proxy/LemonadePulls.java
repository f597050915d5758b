package systems.onebit.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Supplier;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.pull.PullJobs;

/**
 * Lemonade's download API ({@code docs/api/lemonade.md}: {@code POST pull}, {@code GET downloads},
 * {@code POST downloads/control}) over 1bit's pulls into the Hugging Face cache, so GAIA and web UIs can pull.
 */
final class LemonadePulls {

    private final PullJobs pulls;
    private final Supplier<List<String>> known;

    LemonadePulls(PullJobs pulls, Supplier<List<String>> known) {
        this.pulls = pulls;
        this.known = known;
    }

    void register(HttpRouting.Builder rules, String prefix) {
        rules.post(prefix + "/pull", this::pull);
        rules.get(prefix + "/downloads", (req, res) -> {
            ArrayNode list = OpenAiError.JSON.createArrayNode();
            pulls.list().forEach(j -> list.add(job(j)));
            OpenAiError.sendJson(res, 200, list);
        });
        rules.post(prefix + "/downloads/control", this::control);
    }

    /**
     * POST pull {model_name, checkpoint?, stream?, subscribe?}: a model served here is already installed; a catalog
     * name or a Hugging Face checkpoint is downloaded into the cache and registered under {@code model_name} — the
     * answer waits for it, or streams Lemonade's SSE progress ({@code stream}), or returns the job at once
     * ({@code stream} with {@code subscribe: false}; then {@code GET downloads}).
     */
    private void pull(ServerRequest req, ServerResponse res) {
        try {
            JsonNode body = LemonadeRoutes.body(req);
            Optional<String> model = LemonadeRoutes.modelName(body);
            if (model.isEmpty()) {
                OpenAiError.invalid(400, "pull needs {\"model_name\": \"NAME\"} (and \"checkpoint\": \"org/repo:QUANT\" "
                        + "for a model not in the catalog)", "missing_model").send(res);
                return;
            }
            String name = model.get();
            Optional<String> checkpoint = Optional.ofNullable(body.get("checkpoint")).filter(JsonNode::isTextual)
                    .map(JsonNode::asText).filter(t -> !t.isBlank());
            if (checkpoint.isEmpty() && known.get().contains(name)) {
                LemonadeRoutes.success(res, "Installed model: " + name);
                return;
            }
            Optional<String> ref = pulls.refFor(name, checkpoint);
            if (ref.isEmpty()) {
                OpenAiError.invalid(404, "model '" + name + "' is neither served here nor in the catalog; give "
                        + "\"checkpoint\": \"org/repo:QUANT\" to download it; available: " + String.join(", ", known.get()),
                        "model_not_found").send(res);
                return;
            }
            boolean stream = body.path("stream").asBoolean(false);
            if (stream && !body.path("subscribe").asBoolean(true)) {
                OpenAiError.sendJson(res, 200, job(pulls.start(name, ref.get(), s -> { })));
                return;
            }
            BlockingQueue<PullJobs.Snapshot> seen = new LinkedBlockingQueue<>();
            seen.add(pulls.start(name, ref.get(), seen::add));
            if (stream) {
                streamProgress(res, seen);
                return;
            }
            PullJobs.Snapshot last = seen.take();
            while (!last.finished()) {
                last = seen.take();
            }
            if (last.complete()) {
                LemonadeRoutes.success(res, "Installed model: " + name);
            } else {
                ObjectNode doc = OpenAiError.JSON.createObjectNode();
                doc.put("status", "error");
                doc.put("message", last.error().orElse("the download was " + last.status()));
                OpenAiError.sendJson(res, 500, doc);
            }
        } catch (RequestBody.Refused e) {
            e.error().send(res);
        } catch (OrchestratorException e) {
            new OpenAiError(503, e.oneLine(), "server_error", "pull_failed").send(res);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Lemonade's pull events: {@code progress} while it runs, then {@code complete} or {@code error}. */
    private static void streamProgress(ServerResponse res, BlockingQueue<PullJobs.Snapshot> seen) throws InterruptedException {
        res.header("Content-Type", "text/event-stream");
        res.header("Cache-Control", "no-cache");
        try (OutputStream out = res.outputStream()) {
            PullJobs.Snapshot s = seen.take();
            while (true) {
                ObjectNode data = OpenAiError.JSON.createObjectNode();
                String event;
                if (s.finished() && s.complete()) {
                    event = "complete";
                    data.put("file_index", s.totalFiles());
                    data.put("total_files", s.totalFiles());
                    data.put("percent", 100);
                } else if (s.finished()) {
                    event = "error";
                    data.put("error", s.error().orElse("the download was " + s.status()));
                } else if (s.file().isEmpty()) {
                    s = seen.take();  // started, nothing transferred yet: no event
                    continue;
                } else {
                    event = "progress";
                    data.put("file", s.file());
                    data.put("file_index", s.fileIndex());
                    data.put("total_files", s.totalFiles());
                    data.put("bytes_downloaded", s.bytesDownloaded());
                    data.put("bytes_total", s.bytesTotal());
                    data.put("percent", s.percent());
                }
                out.write(("event: " + event + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                if (s.finished()) {
                    return;
                }
                s = seen.take();
                while (!s.finished() && !seen.isEmpty()) {
                    s = seen.take();  // a slow reader gets the latest, not every chunk
                }
            }
        } catch (IOException e) {
            // the client went away; the download goes on
        }
    }

    /** POST downloads/control {id, action}: pause, cancel or remove a download job. */
    private void control(ServerRequest req, ServerResponse res) {
        try {
            JsonNode body = LemonadeRoutes.body(req);
            OpenAiError.sendJson(res, 200, job(pulls.control(body.path("id").asText(""), body.path("action").asText(""))));
        } catch (RequestBody.Refused e) {
            e.error().send(res);
        } catch (OrchestratorException e) {
            OpenAiError.invalid(e.reason() == OrchestratorException.Reason.NOT_FOUND ? 404 : 400, e.oneLine(),
                    "invalid_download").send(res);
        }
    }

    /** A download job as Lemonade shows it. */
    private static ObjectNode job(PullJobs.Snapshot s) {
        ObjectNode doc = OpenAiError.JSON.createObjectNode();
        doc.put("id", s.id());
        doc.put("type", "model");
        doc.put("model_name", s.modelName());
        doc.put("status", s.status());
        doc.put("running", s.running());
        doc.put("file", s.file());
        doc.put("file_index", s.fileIndex());
        doc.put("total_files", s.totalFiles());
        doc.put("bytes_downloaded", s.bytesDownloaded());
        doc.put("bytes_total", s.bytesTotal());
        doc.put("total_download_size", s.totalDownloadSize());
        doc.put("bytes_previously_downloaded", 0);
        doc.put("completed_files_bytes", s.completedFilesBytes());
        doc.put("cumulative_bytes_downloaded", s.cumulativeBytes());
        doc.put("overall_bytes_downloaded", s.cumulativeBytes());
        doc.put("percent", s.percent());
        doc.put("complete", s.complete());
        s.error().ifPresent(e -> doc.put("error", e));
        return doc;
    }
}
