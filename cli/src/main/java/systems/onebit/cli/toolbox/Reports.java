package systems.onebit.cli.toolbox;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
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

    /** OK when all succeeded; the failure's own code when all failed alike; PARTIAL otherwise. */
    static ExitCode exitCode(List<ItemReport> reports) {
        List<ExitCode> failures = reports.stream()
                .filter(r -> r instanceof ItemReport.Failed)
                .map(r -> ExitCode.of(((ItemReport.Failed) r).error().reason()))
                .toList();
        if (failures.isEmpty()) {
            return ExitCode.OK;
        }
        Map<ExitCode, Long> kinds = failures.stream().collect(Collectors.groupingBy(c -> c, Collectors.counting()));
        if (failures.size() == reports.size() && kinds.size() == 1) {
            return failures.getFirst();
        }
        return ExitCode.PARTIAL;
    }
}
