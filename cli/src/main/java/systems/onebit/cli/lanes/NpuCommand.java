package systems.onebit.cli.lanes;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import systems.onebit.cli.CliContext;
import systems.onebit.orchestrator.stack.Lane;
import systems.onebit.cli.ExitCode;
import systems.onebit.cli.Output;
import systems.onebit.orchestrator.doctor.CheckResult;
import systems.onebit.orchestrator.doctor.Doctor;
import systems.onebit.orchestrator.lanes.Lanes;
import systems.onebit.orchestrator.probe.HttpProbe;
import systems.onebit.orchestrator.probe.ModelLister;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.Registry;

@Command(name = "npu", mixinStandardHelpOptions = true,
        description = "FastFlowLM on the XDNA NPU: `flm serve MODEL` as the registry's flm backend, which the proxy routes to.",
        subcommands = {NpuCommand.Up.class, NpuCommand.Down.class, NpuCommand.Status.class})
public final class NpuCommand {

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = {"Serve MODEL on the NPU (`flm serve MODEL --host H --port P FLAGS…`): through 1bit-flm.service "
                    + "when installed, else as a detached process (pid and log under $XDG_STATE_HOME/1bit); waits until its "
                    + "models answer. MODEL and FLAGS are kept in the registry's flm entry, which is enabled, so `1bit up` "
                    + "starts it too. Refused, with the doctor's fix, when the NPU is not usable (no /dev/accel, IOMMU off, "
                    + "memlock limited).",
                    "Exit code 0 up; 3 flm not installed or no model; 5 NPU not usable or it did not come up."})
    public static final class Up extends LaneUp {
        @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "A FastFlowLM model tag (llama3.2:1b, …); default: the registry's.")
        String model;

        @Parameters(index = "1..*", paramLabel = "FLAGS", description = "flm serve flags after --, e.g. -- --ctx-len 32768.")
        List<String> flags = new ArrayList<>();

        @Option(names = "--timeout", defaultValue = "300", paramLabel = "SECONDS", description = "How long it may take to answer (default ${DEFAULT-VALUE}).")
        int timeoutSeconds;

        public Up(CliContext context) {
            super(context);
        }

        @Override
        protected Registry enabled(Registry r) {
            Optional<Backend> flm = Lanes.flm(r);
            List<String> models = model != null ? List.of(model) : flm.map(Backend::models).orElse(List.of());
            List<String> args = !flags.isEmpty() || model != null ? flags : flm.map(Backend::args).orElse(List.of());
            if (flm.isEmpty()) {
                return r.with(new Backend("flm", BackendKind.FLM, URI.create("http://127.0.0.1:" + Registry.FLM_PORT), "",
                        models, args, 200, true));
            }
            Backend b = flm.get();
            return r.replaced(new Backend(b.name(), b.kind(), b.url(), b.flavor(), models, args, b.priority(), true, b.apiKeyEnv()));
        }

        @Override
        protected Lane lane(Lanes lanes, Registry registry) {
            return lanes.npu(registry);
        }

        @Override
        protected Duration timeout() {
            return Duration.ofSeconds(timeoutSeconds);
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = {"Stop FastFlowLM and disable the registry's flm entry (`1bit up` leaves it off until `npu up`).",
                    "Exit code 0."})
    public static final class Down extends LaneDown {

        public Down(CliContext context) {
            super(context);
        }

        @Override
        protected Lane lane(Lanes lanes, Registry registry) {
            return lanes.npu(registry);
        }

        @Override
        protected Registry disabled(Registry r) {
            return Lanes.flm(r).filter(Backend::enabled).map(b -> r.replaced(b.withEnabled(false))).orElse(r);
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Whether FastFlowLM answers on the flm entry's URL, its models, how 1bit runs it, and what "
                    + "keeps the NPU from working (the doctor's checks).", "Exit code 0 answering; 11 not answering."})
    public static final class Status implements Callable<Integer> {
        @Option(names = "--json", description = "Print {url, model, running, models, runner, blockers: [{id, detail, fix}]}.")
        boolean json;

        private final CliContext context;

        public Status(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            Registry registry = context.registry().read();
            Optional<Backend> flm = Lanes.flm(registry);
            URI url = flm.map(Backend::url).orElse(URI.create("http://127.0.0.1:" + Registry.FLM_PORT));
            HttpProbe.Result models = HttpProbe.get(url, "/v1/models", Duration.ofMillis(700));
            List<String> served = models.ok() ? ModelLister.ids(models.body()).orElse(List.of()) : List.of();
            List<CheckResult> blockers = new Doctor(context.host(), context.env()).npuBlockers();
            String runner = context.lanes().npu(registry).describe();
            Output out = new Output(context.out(), context.env());
            if (json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                doc.put("url", url.toString());
                doc.put("model", flm.flatMap(b -> b.models().stream().findFirst()).orElse(null));
                doc.put("running", models.ok());
                doc.put("models", served);
                doc.put("runner", runner);
                doc.put("blockers", blockers.stream().map(c -> Map.of("id", c.id(), "detail", c.detail(), "fix", c.fix())).toList());
                out.json(doc);
            } else {
                out.line("FastFlowLM " + url + ": " + (models.ok() ? "answering, models " + String.join(", ", served) : models.health()));
                out.line("run by: " + runner);
                blockers.forEach(c -> out.line("NPU: " + c.detail() + " (fix: " + c.fix() + ")"));
            }
            return (models.ok() ? ExitCode.OK : ExitCode.DOWN).code();
        }
    }
}
