package systems.onebit.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Help.Ansi;

/** Tables, JSON and colour for commands. Colour only when stdout is a terminal and NO_COLOR is unset. */
public final class Output {


    private final PrintStream out;
    private final Ansi ansi;
    private final boolean tty;

    public Output(PrintStream out, Map<String, String> env) {
        this.out = out;
        tty = System.console() != null && System.console().isTerminal() && out == System.out;
        this.ansi = tty && !env.containsKey("NO_COLOR") && !"dumb".equals(env.get("TERM")) ? Ansi.ON : Ansi.OFF;
    }

    /** Whether output goes to a terminal (then colour and screen clearing are fine). */
    public boolean tty() {
        return tty;
    }

    /** Maps, lists and scalars, written with Jackson's generator (no ObjectMapper set-up: start-up time). */
    public void json(Object value) {
        out.println(systems.onebit.orchestrator.json.Trees.writeJson(value));
    }

    public void line(String text) {
        out.println(text);
    }

    /** Colours a word with a picocli style, e.g. {@code green}, {@code yellow}, {@code red}, {@code bold}. */
    public String style(String style, String text) {
        return ansi.string("@|" + style + " " + text.replace("|@", "| @") + "|@");
    }

    /** Prints rows as left-aligned columns; the first row is the header. */
    public void table(List<List<String>> rows) {
        if (rows.isEmpty()) {
            return;
        }
        int columns = rows.getFirst().size();
        int[] widths = new int[columns];
        for (List<String> row : rows) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (int r = 0; r < rows.size(); r++) {
            List<String> cells = new ArrayList<>();
            for (int i = 0; i < columns; i++) {
                String cell = rows.get(r).get(i);
                cells.add(i == columns - 1 ? cell : cell + " ".repeat(widths[i] - cell.length()));
            }
            String line = String.join("  ", cells).stripTrailing();
            out.println(r == 0 ? style("bold", line) : line);
        }
    }
}
