package systems.onebit.orchestrator.pull;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import systems.onebit.orchestrator.OrchestratorException;

/**
 * Pulls run in the background for the proxy's Lemonade-style {@code POST /api/v1/pull}: one job per model name
 * ({@code model:NAME}, as Lemonade names them), its progress as Lemonade's download-job snapshot, pause and cancel
 * (the partial file stays, so the next pull continues it).
 */
public final class PullJobs {

    /** Lemonade's download-job fields ({@code GET /api/v1/downloads}). */
    public record Snapshot(String id, String modelName, String status, boolean running, String file, int fileIndex,
                           int totalFiles, long bytesDownloaded, long bytesTotal, long totalDownloadSize,
                           long completedFilesBytes, long cumulativeBytes, int percent, boolean complete, Optional<String> error) {
        public boolean finished() {
            return !running;
        }
    }

    /** What starts a pull: the service's {@code pull} for one request. */
    public interface Puller {
        PullService.Pulled pull(PullService.Request request, PullService.Progress progress);
    }

    /** Thrown from a progress callback to stop a job's transfer at the next chunk. */
    private static final class Stopped extends RuntimeException {
        Stopped() {
            super("stopped", null, false, false);
        }
    }

    private final class Job {
        final String name;
        final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();
        volatile String status = "downloading";
        volatile boolean running = true;
        volatile String stopAs = "";
        List<String> files = List.of();
        long total;
        String file = "";
        int index;
        long fileDone;
        long fileTotal;
        long completed;
        Optional<String> error = Optional.empty();

        Job(String name) {
            this.name = name;
        }

        synchronized Snapshot snapshot() {
            long cumulative = completed + fileDone;
            int percent = total > 0 ? (int) Math.min(100, cumulative * 100 / total) : status.equals("completed") ? 100 : 0;
            return new Snapshot("model:" + name, name, status, running, file, index, files.size(), fileDone, fileTotal, total,
                    completed, cumulative, percent, status.equals("completed"), error);
        }

        void publish() {
            Snapshot s = snapshot();
            listeners.forEach(l -> l.accept(s));
        }
    }

    private final Optional<Puller> puller;
    private final ModelCatalog catalog;
    private final Map<String, Job> jobs = new LinkedHashMap<>();

    public PullJobs(Puller puller, ModelCatalog catalog) {
        this.puller = Optional.of(puller);
        this.catalog = catalog;
    }

    private PullJobs() {
        this.puller = Optional.empty();
        this.catalog = new ModelCatalog(List.of());
    }

    /** For a proxy that cannot download (tests, embedded use): every pull is refused with a reason. */
    public static PullJobs none() {
        return new PullJobs();
    }

    /** What to pull for a Lemonade {@code model_name} (and {@code checkpoint}): a catalog name, or the checkpoint. */
    public Optional<String> refFor(String modelName, Optional<String> checkpoint) {
        if (checkpoint.isPresent()) {
            return checkpoint;
        }
        return catalog.entries().stream().filter(e -> e.name().equals(modelName)).findFirst().map(ModelCatalog.Entry::name);
    }

    /**
     * Starts pulling {@code ref} registered as {@code modelName} (Lemonade's {@code user.} prefix dropped), or joins
     * the job already running for that name; {@code listener} gets every snapshot from now on.
     */
    public synchronized Snapshot start(String modelName, String ref, Consumer<Snapshot> listener) {
        Puller service = puller.orElseThrow(() -> OrchestratorException.precondition(
                "this proxy does not download models", "run `1bit pull " + ref + "` on the host"));
        Job existing = jobs.get(modelName);
        if (existing != null && existing.running) {
            existing.listeners.add(listener);
            return existing.snapshot();
        }
        Job job = new Job(modelName);
        job.listeners.add(listener);
        jobs.put(modelName, job);
        String alias = modelName.startsWith("user.") ? modelName.substring(5) : modelName;
        Thread.ofPlatform().daemon().name("1bit-pull-" + alias).start(() -> run(job, service,
                new PullService.Request(ref, Optional.of(alias), 0, Optional.empty(), true)));
        return job.snapshot();
    }

    private void run(Job job, Puller service, PullService.Request request) {
        try {
            service.pull(request, new PullService.Progress() {
                @Override
                public void plan(List<String> files, long bytes) {
                    synchronized (job) {
                        job.files = List.copyOf(files);
                        job.total = bytes;
                    }
                    job.publish();
                }

                @Override
                public void update(String file, long done, long total) {
                    if (!job.stopAs.isEmpty()) {
                        throw new Stopped();
                    }
                    synchronized (job) {
                        job.file = file;
                        job.index = job.files.indexOf(file) + 1;
                        job.fileDone = done;
                        job.fileTotal = total;
                    }
                    job.publish();
                }

                @Override
                public void done(String file, long bytes, String how) {
                    synchronized (job) {
                        job.file = file;
                        job.index = job.files.indexOf(file) + 1;
                        job.completed += bytes;
                        job.fileDone = 0;
                        job.fileTotal = bytes;
                    }
                    job.publish();
                }
            });
            job.status = "completed";
        } catch (Stopped e) {
            job.status = job.stopAs;
        } catch (OrchestratorException e) {
            synchronized (job) {
                job.error = Optional.of(e.oneLine());
            }
            job.status = "error";
        } catch (RuntimeException e) {
            synchronized (job) {
                job.error = Optional.of(e.toString());
            }
            job.status = "error";
        } finally {
            job.running = false;
            job.publish();
        }
    }

    public synchronized List<Snapshot> list() {
        List<Snapshot> out = new ArrayList<>();
        jobs.values().forEach(j -> out.add(j.snapshot()));
        return out;
    }

    /** {@code pause} or {@code cancel} a running job (its partial file stays), or {@code remove} a stopped one. */
    public synchronized Snapshot control(String id, String action) {
        String name = id.startsWith("model:") ? id.substring(6) : id;
        Job job = jobs.get(name);
        if (job == null) {
            throw OrchestratorException.notFound("no download '" + id + "'", "see GET /api/v1/downloads");
        }
        switch (action) {
            case "pause" -> job.stopAs = "paused";
            case "cancel" -> job.stopAs = "cancelled";
            case "remove" -> {
                if (job.running) {
                    job.stopAs = "cancelled";
                } else {
                    jobs.remove(name);
                }
            }
            default -> throw OrchestratorException.invalid("unknown action '" + action + "'", "use pause, cancel or remove");
        }
        return job.snapshot();
    }
}
