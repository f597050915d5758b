package systems.onebit.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import systems.onebit.orchestrator.doctor.CheckResult;
import systems.onebit.orchestrator.doctor.Doctor;
import systems.onebit.orchestrator.doctor.RpcExposure;
import systems.onebit.orchestrator.engine.ContainerInfo;
import systems.onebit.orchestrator.engine.PodmanEngine;
import systems.onebit.orchestrator.manifest.ManifestCatalog;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;
import systems.onebit.orchestrator.registry.ModelEntry;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.toolbox.Labels;
import systems.onebit.orchestrator.toolbox.RpcWorkers;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check this host for what the toolbox backends need; each check prints ok, warn or fail and the "
                + "command that fixes it.", "Exit code 10 when any check fails."})
public final class DoctorCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print JSON: {ok, checks: [{id, status, detail, fix}]}.")
    boolean json;

    private final CliContext context;

    public DoctorCommand(CliContext context) {
        this.context = context;
    }

    /** The registry's models and toolbox backends' files, each with whether its flavor disables SELinux labels. */
    private List<Doctor.ModelPlacement> placements() {
        Registry registry = context.registry().read();
        ManifestCatalog catalog = context.catalog();
        Predicate<String> unlabelled = flavor -> catalog.find(flavor)
                .map(m -> m.securityOpt().contains("label=disable")).orElse(true);
        List<Doctor.ModelPlacement> out = new ArrayList<>();
        for (ModelEntry m : registry.models()) {
            out.add(new Doctor.ModelPlacement(m.alias(), m.path(), m.flavor(), unlabelled.test(m.flavor())));
        }
        for (Backend b : registry.backends()) {
            if (b.kind() == BackendKind.TOOLBOX) {
                b.models().forEach(file -> out.add(new Doctor.ModelPlacement(file, Path.of(file), b.flavor(),
                        unlabelled.test(b.flavor()))));
            }
        }
        return out;
    }

    @Override
    public Integer call() {
        List<RpcExposure.Worker> workers = new ArrayList<>();
        Doctor doctor = new Doctor(context.host(), context.env(), () -> {
            context.configureLogging();
            PodmanEngine engine = context.locator().locate();
            try (engine) {
                for (ContainerInfo c : engine.list(Map.of(RpcWorkers.LABEL, ""))) {
                    workers.add(new RpcExposure.Worker(c.name(), c.label(Labels.HOST), Integer.parseInt(c.label(Labels.PORT))));
                }
                return new Doctor.EngineProbe(engine.describe(), engine.isPrivateService());
            }
        }, this::placements);
        List<CheckResult> results = new ArrayList<>(doctor.run());
        results.add(RpcExposure.check(workers));
        boolean failed = Doctor.anyFailed(results);
        Output out = new Output(context.out(), context.env());
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("ok", !failed);
            doc.put("checks", results.stream().map(r -> {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("id", r.id());
                row.put("status", r.status().id());
                row.put("detail", r.detail());
                row.put("fix", r.fix());
                return row;
            }).toList());
            out.json(doc);
        } else {
            for (CheckResult r : results) {
                String word = switch (r.status()) {
                    case OK -> out.style("green", "ok  ");
                    case WARN -> out.style("yellow", "warn");
                    case FAIL -> out.style("red", "fail");
                };
                out.line(word + "  " + String.format("%-16s", r.id()) + r.detail());
                if (!r.fix().isEmpty()) {
                    out.line("      " + " ".repeat(16) + "fix: " + r.fix());
                }
            }
        }
        return failed ? ExitCode.DEGRADED.code() : 0;
    }
}
