package systems.onebit.cli.toolbox;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.Output;
import systems.onebit.orchestrator.manifest.ToolboxManifest;

@Command(name = "flavors", mixinStandardHelpOptions = true,
        description = "List the toolbox flavors (embedded manifests and your own) with when to choose each.")
public final class FlavorsCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    private final CliContext context;

    public FlavorsCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        Output out = new Output(context.out(), context.env());
        List<ToolboxManifest> flavors = List.copyOf(context.catalog().all());
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (ToolboxManifest m : flavors) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("flavor", m.flavor());
                row.put("summary", m.summary());
                row.put("image", m.image());
                row.put("devices", m.devices());
                row.put("groups", m.groups());
                row.put("source", m.source());
                rows.add(row);
            }
            out.json(rows);
            return 0;
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("FLAVOR", "DEVICES", "WHEN TO CHOOSE"));
        for (ToolboxManifest m : flavors) {
            rows.add(List.of(m.flavor(), m.devices().isEmpty() ? "-" : String.join(",", m.devices()), m.summary()));
        }
        out.table(rows);
        return 0;
    }
}
