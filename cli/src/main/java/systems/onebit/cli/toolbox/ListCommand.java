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
import systems.onebit.orchestrator.toolbox.Toolbox;

@Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true,
        description = "List the toolbox backends (containers made by 1bit; others are never shown or touched).")
public final class ListCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print JSON: [{name, id, flavor, state, status, url, port, model, image}].")
    boolean json;

    private final CliContext context;

    public ListCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        List<Toolbox> toolboxes = context.toolboxes().list();
        Output out = new Output(context.out(), context.env());
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Toolbox t : toolboxes) {
                rows.add(toJson(t));
            }
            out.json(rows);
            return 0;
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("NAME", "FLAVOR", "STATE", "URL", "MODEL"));
        for (Toolbox t : toolboxes) {
            rows.add(List.of(t.name(), t.flavor(), t.state().id(), t.url().toString(), t.model()));
        }
        out.table(rows);
        return 0;
    }

    static Map<String, Object> toJson(Toolbox t) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", t.name());
        row.put("id", t.id());
        row.put("flavor", t.flavor());
        row.put("state", t.state().id());
        row.put("status", t.status());
        row.put("url", t.url().toString());
        row.put("port", t.port());
        row.put("model", t.model());
        row.put("image", t.image());
        return row;
    }
}
