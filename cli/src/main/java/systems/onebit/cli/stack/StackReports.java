package systems.onebit.cli.stack;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.ExitCode;
import systems.onebit.cli.Output;
import systems.onebit.orchestrator.stack.StackReport;
import systems.onebit.orchestrator.stack.StackService;

/** Prints {@code up}/{@code down} reports (a summary, or JSON) and derives the exit code. */
public final class StackReports {

    private StackReports() {
    }

    /**
     * Progress lines on stderr: on a terminal with the elapsed time and dimmed, so the outcome lines stand out;
     * otherwise plain lines, one per step, for logs and scripts.
     */
    public static java.util.function.Consumer<String> progress(CliContext context) {
        long start = System.nanoTime();
        boolean tty = System.console() != null && System.console().isTerminal() && !context.env().containsKey("NO_COLOR");
        return line -> {
            if (tty) {
                double seconds = (System.nanoTime() - start) / 1e9;
                context.err().println(picocli.CommandLine.Help.Ansi.ON.string(
                        "@|faint " + String.format("[%5.1fs] ", seconds) + line.replace("|@", "| @") + "|@"));
            } else {
                context.err().println(line);
            }
        };
    }

    public static int print(CliContext context, List<StackReport> reports, boolean json) {
        Output out = new Output(context.out(), context.env());
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (StackReport report : reports) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("component", report.component());
                switch (report) {
                    case StackReport.Changed c -> {
                        row.put("outcome", "changed");
                        row.put("detail", c.detail());
                    }
                    case StackReport.Unchanged u -> {
                        row.put("outcome", "unchanged");
                        row.put("detail", u.detail());
                    }
                    case StackReport.Failed f -> {
                        row.put("outcome", "failed");
                        row.put("error", f.error().getMessage());
                        row.put("hint", f.error().hint());
                        row.put("exitCode", ExitCode.of(f.error().reason()).code());
                    }
                }
                rows.add(row);
            }
            out.json(Map.of("components", rows));
        } else {
            for (StackReport report : reports) {
                String line = StackService.line(report);
                if (report instanceof StackReport.Failed) {
                    context.err().println("1bit: " + line);
                } else {
                    out.line(out.style(report instanceof StackReport.Changed ? "green" : "faint", "✓") + " " + line);
                }
            }
        }
        return exitCode(reports).code();
    }

    static ExitCode exitCode(List<StackReport> reports) {
        return ExitCode.combine(reports.stream().filter(r -> r instanceof StackReport.Failed)
                .map(r -> ((StackReport.Failed) r).error()).toList(), reports.size());
    }
}
