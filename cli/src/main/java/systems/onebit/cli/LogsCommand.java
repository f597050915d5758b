package systems.onebit.cli;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.orchestrator.logs.LogService;
import systems.onebit.orchestrator.logs.LogSource;
import systems.onebit.orchestrator.registry.Registry;

@Command(name = "logs", mixinStandardHelpOptions = true,
        description = {"The stack's logs, one component or all of them interleaved as lines arrive: the proxy (its unit's "
                + "journal when systemd runs it, else proxy.log), each toolbox container, each on-demand model "
                + "(model:ALIAS), open-webui, gaia and npu where 1bit started them. Each line is prefixed with its "
                + "component (coloured on a terminal).",
                "Exit code 0; 3 an unknown component (the known ones are listed)."})
public final class LogsCommand implements Callable<Integer> {

    @Parameters(paramLabel = "COMPONENT", arity = "0..*", description = "Components (default: all).")
    List<String> components = new ArrayList<>();

    @Option(names = {"-f", "--follow"}, description = "Keep printing new lines until interrupted (Ctrl-C).")
    boolean follow;

    @Option(names = {"-n", "--lines"}, defaultValue = "50", paramLabel = "N", description = "Lines from the end of each (default ${DEFAULT-VALUE}; 0: all).")
    int lines;

    @Option(names = "--since", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Only lines newer than this (containers and journals), e.g. 10m.")
    Duration since;

    private final CliContext context;

    public LogsCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws InterruptedException {
        if (lines < 0) {
            throw ExitException.usage("--lines " + lines + " must be 0 or more");
        }
        Registry registry = context.registry().read();
        LogService service = context.logs();
        List<LogSource> sources = service.select(registry, components);
        Output out = new Output(context.out(), context.env());
        String[] colours = {"cyan", "green", "yellow", "magenta", "blue", "red"};
        Map<String, String> colourOf = new HashMap<>();
        int width = sources.stream().mapToInt(s -> s.component().length()).max().orElse(5);
        Instant from = since == null ? Instant.EPOCH : Instant.now().minus(since);
        service.read(sources, lines, follow, from, (component, line) -> {
            String colour = colourOf.computeIfAbsent(component, c -> colours[colourOf.size() % colours.length]);
            String prefix = String.format("%-" + width + "s | ", component);
            synchronized (context.out()) {
                context.out().println(out.style(colour, prefix) + line);
                context.out().flush();
            }
        });
        return 0;
    }
}
