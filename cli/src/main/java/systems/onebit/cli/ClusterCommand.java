package systems.onebit.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import systems.onebit.orchestrator.engine.ContainerInfo;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.toolbox.Labels;
import systems.onebit.orchestrator.toolbox.RpcProbe;
import systems.onebit.orchestrator.toolbox.RpcWorkers;

@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "llama.cpp RPC clusters: workers lending their GPU to a head's llama-server.",
        subcommands = ClusterCommand.Status.class)
public final class ClusterCommand {

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Every RPC worker this host knows: those its toolbox backends offload to (their --rpc) and the "
                    + "workers it runs itself (`toolbox create --rpc-worker`), each with whether it takes a connection.",
                    "Exit code 0: every worker answers (or there is none); 10: some do not; 11: none does."})
    public static final class Status implements Callable<Integer> {
        @Option(names = "--json", description = "Print {workers: [{address, usedBy, runHere, reachable, error, memory: "
                + "{protocol, devices: [{index, freeBytes, totalBytes}], freeBytes, totalBytes} or {note}}]}.")
        boolean json;

        private final CliContext context;

        public Status(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            Map<String, List<String>> usedBy = new LinkedHashMap<>();
            for (Backend b : context.registry().read().backends()) {
                if (b.kind() == BackendKind.TOOLBOX) {
                    RpcWorkers.addresses(b.args()).forEach(a -> usedBy.computeIfAbsent(a, k -> new ArrayList<>()).add(b.name()));
                }
            }
            Map<String, String> local = new LinkedHashMap<>();
            for (ContainerInfo c : context.engine().list(Map.of(RpcWorkers.LABEL, ""))) {
                String address = c.label(Labels.HOST) + ":" + c.label(Labels.PORT);
                local.put(address, c.label(Labels.BACKEND) + " (" + c.state().id() + ")");
                usedBy.computeIfAbsent(address, k -> new ArrayList<>());
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            int reachable = 0;
            for (var entry : usedBy.entrySet()) {
                RpcProbe.Outcome probe = RpcProbe.probe(entry.getKey(), Duration.ofSeconds(1));
                reachable += probe.reachable() ? 1 : 0;
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("address", entry.getKey());
                row.put("usedBy", entry.getValue());
                row.put("runHere", local.getOrDefault(entry.getKey(), ""));
                row.put("reachable", probe.reachable());
                row.put("error", probe instanceof RpcProbe.Outcome.Unreachable(String why) ? why : null);
                row.put("memory", memory(probe));
                rows.add(row);
            }
            Output out = new Output(context.out(), context.env());
            if (json) {
                out.json(Map.of("workers", rows));
            } else if (rows.isEmpty()) {
                out.line("no RPC workers: give a toolbox backend --rpc HOST:PORT, or run one with `1bit toolbox create W --flavor F --rpc-worker`");
            } else {
                List<List<String>> table = new ArrayList<>();
                table.add(List.of("WORKER", "USED BY", "RUN HERE", "STATE", "MEMORY"));
                for (Map<String, Object> r : rows) {
                    @SuppressWarnings("unchecked") List<String> users = (List<String>) r.get("usedBy");
                    table.add(List.of((String) r.get("address"), users.isEmpty() ? "-" : String.join(", ", users),
                            ((String) r.get("runHere")).isEmpty() ? "-" : (String) r.get("runHere"),
                            (Boolean) r.get("reachable") ? out.style("green", "answers") : out.style("red", "down: " + r.get("error")),
                            memoryCell((Map<?, ?>) r.get("memory"))));
                }
                out.table(table);
            }
            return (reachable == rows.size() ? ExitCode.OK : reachable == 0 ? ExitCode.DOWN : ExitCode.DEGRADED).code();
        }

        /** What the worker reports of its devices; a worker serving a head answers nobody else until it is done. */
        private static Map<String, Object> memory(RpcProbe.Outcome probe) {
            Map<String, Object> m = new LinkedHashMap<>();
            switch (probe) {
                case RpcProbe.Outcome.Answered(RpcProbe.Report report) when report.understood() -> {
                    m.put("protocol", report.version());
                    m.put("devices", report.devices().stream().map(d -> Map.of("index", d.index(), "freeBytes", d.free(),
                            "totalBytes", d.total())).toList());
                    m.put("freeBytes", report.free());
                    m.put("totalBytes", report.total());
                }
                case RpcProbe.Outcome.Answered(RpcProbe.Report report) -> {
                    m.put("protocol", report.version());
                    m.put("note", "protocol " + report.version() + ": 1bit reads memory from version 6 workers (its llama.cpp's)");
                }
                case RpcProbe.Outcome.Busy() -> m.put("note", "busy (serving a head, one at a time): memory not read");
                case RpcProbe.Outcome.Unreadable(String why) -> m.put("note", "memory not read: " + why);
                case RpcProbe.Outcome.Unreachable(String why) -> { }
            }
            return m;
        }

        private static String memoryCell(Map<?, ?> memory) {
            if (memory.containsKey("totalBytes")) {
                long mib = 1L << 20;
                return ((Long) memory.get("freeBytes")) / mib + " MiB free of " + ((Long) memory.get("totalBytes")) / mib
                        + " MiB (" + ((List<?>) memory.get("devices")).size() + " device(s))";
            }
            Object note = memory.get("note");
            return note == null ? "-" : note.toString();
        }
    }
}
