package systems.onebit.cli.toolbox;

import java.util.List;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.ExitCode;
import systems.onebit.cli.Output;
import systems.onebit.orchestrator.toolbox.ItemReport;

/** Prints one line per name and derives the exit code of a multi-name command. */
final class Reports {

    private Reports() {
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
