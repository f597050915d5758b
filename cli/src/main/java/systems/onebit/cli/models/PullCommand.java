package systems.onebit.cli.models;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.ExitException;
import systems.onebit.cli.Output;
import systems.onebit.orchestrator.pull.PullService;

@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {"Download a model into the Hugging Face cache (shared with llama.cpp -hf, Lemonade and `hf download`; "
                + "what is already there is reused) and register it. REF: org/repo, org/repo:QUANT (e.g. "
                + "unsloth/Qwen3-8B-GGUF:Q4_K_M), org/repo/path/file.gguf, hf://…, a Hub URL, or a catalog name "
                + "(`1bit models catalog`). Every shard of a split model, and the vision projector when there is one.",
                "Resumable: an interrupted pull continues where it stopped. Every file is checked against its sha256. "
                        + "HF_ENDPOINT (a mirror), HF_TOKEN or `hf auth login`'s token file, HF_HUB_CACHE/HF_HOME are honoured.",
                "Exit code 0; 2 bad reference; 3 not on the Hub; 5 gated, checksum, disk space or network trouble; 4 alias taken."})
public final class PullCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "REF")
    String ref;

    @Option(names = "--alias", paramLabel = "A", description = "The name apps use (default: repo:quant, or the catalog name).")
    String alias;

    @Option(names = "--ctx", defaultValue = "0", paramLabel = "TOKENS", description = "Context per slot to register (default: the catalog's, else the model's own).")
    long tokensPerSlot;

    @Option(names = "--flavor", paramLabel = "F", description = "Toolbox flavor to register with (default: the catalog's, else vulkan-radv).",
            completionCandidates = systems.onebit.cli.toolbox.FlavorCandidates.class)
    String flavor;

    @Option(names = "--connections", defaultValue = "4", paramLabel = "N",
            description = "Parallel range requests per large file (default ${DEFAULT-VALUE}; 1: one stream).")
    int connections;

    @Option(names = "--no-register", description = "Only download.")
    boolean noRegister;

    @Option(names = "--json", description = "Print {repo, files, mmproj, downloadedBytes, reusedBytes, alias, warnings}; no progress.")
    boolean json;

    private final CliContext context;

    public PullCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        Output out = new Output(context.out(), context.env());
        if (flavor != null) {
            context.catalog().get(flavor);
        }
        if (connections < 1 || connections > 32) {
            throw ExitException.usage("--connections " + connections + " is out of range (1-32)");
        }
        PullService.Pulled pulled = context.pull(connections).pull(new PullService.Request(ref, Optional.ofNullable(alias), tokensPerSlot,
                Optional.ofNullable(flavor), !noRegister), json ? Progress.SILENT : new Progress(out));
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("repo", pulled.repo());
            doc.put("files", pulled.model().stream().map(Path::toString).toList());
            doc.put("mmproj", pulled.mmproj().map(Path::toString).orElse(null));
            doc.put("downloadedBytes", pulled.downloaded());
            doc.put("reusedBytes", pulled.reused());
            doc.put("alias", pulled.registered().map(e -> e.alias()).orElse(null));
            doc.put("warnings", pulled.warnings());
            out.json(doc);
            return 0;
        }
        pulled.warnings().forEach(w -> context.err().println("1bit: warning: " + w));
        out.line(pulled.registered().map(e -> "registered " + e.alias() + " (" + e.flavor() + ") → " + e.path())
                .orElse("in the cache: " + pulled.model().getFirst()));
        return 0;
    }

    /** A progress line per file: redrawn in place on a terminal, printed once when done otherwise. */
    static final class Progress implements PullService.Progress {
        static final PullService.Progress SILENT = new PullService.Progress() {
            @Override
            public void update(String file, long done, long total) {
            }

            @Override
            public void done(String file, long bytes, String how) {
            }
        };

        private final Output out;
        private final long start = System.nanoTime();
        private long lastDraw;
        private long firstDone = -1;

        Progress(Output out) {
            this.out = out;
        }

        @Override
        public void update(String file, long done, long total) {
            if (firstDone < 0) {
                firstDone = done;
            }
            long now = System.nanoTime();
            if (!out.tty() || now - lastDraw < 200_000_000L) {
                return;
            }
            lastDraw = now;
            double seconds = Math.max(1e-3, (now - start) / 1e9);
            double rate = (done - firstDone) / seconds;
            long eta = rate > 0 ? (long) ((total - done) / rate) : -1;
            System.out.print(String.format(Locale.ROOT, "\r%s  %3d%%  %s / %s  %s/s  ETA %s\033[K", file,
                    total > 0 ? done * 100 / total : 0, size(done), size(total), size((long) rate),
                    eta < 0 ? "?" : eta / 60 + ":" + String.format(Locale.ROOT, "%02d", eta % 60)));
            System.out.flush();
        }

        @Override
        public void done(String file, long bytes, String how) {
            if (out.tty()) {
                System.out.print("\r\033[K");
            }
            out.line(file + "  " + size(bytes) + "  " + how);
            firstDone = -1;
        }

        private static String size(long bytes) {
            return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30))
                    : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        }
    }
}
