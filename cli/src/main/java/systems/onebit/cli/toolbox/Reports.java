package systems.onebit.cli.toolbox;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.ExitCode;
import systems.onebit.cli.Output;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.toolbox.ItemReport;

/** Prints one line per name and derives the exit code of a multi-name command. */
final class Reports {

    private Reports() {
    }

    /** One single-item service call per name, each failure kept as that name's report (the others still run). */
    static List<ItemReport> each(List<String> names, Function<String, String> action) {
        List<ItemReport> reports = new ArrayList<>();
        for (String name : names) {
            try {
                reports.add(new ItemReport.Done(name, action.apply(name)));
            } catch (OrchestratorException e) {
                reports.add(new ItemReport.Failed(name, e));
            }
        }
        return reports;
    }

    static int print(CliContext context, List<ItemReport> reports) {
        Output out = new Output(context.out(), context.env());
        for (ItemReport report : reports) {
            switch (report) {
                case ItemReport.Done done -> out.line(done.name() + ": " + done.detail());
                case ItemReport.Failed failed -> context.err().println("1bit: " + failed.name() + ": " + failed.error().oneLine());
            }
        }
        return exitCode(reports).code();
    }

    static ExitCode exitCode(List<ItemReport> reports) {
        return ExitCode.combine(reports.stream().filter(r -> r instanceof ItemReport.Failed)
                .map(r -> ((ItemReport.Failed) r).error()).toList(), reports.size());
    }
}
