package systems.onebit.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Shell completion scripts generated from the picocli command model (checked in under completions/; a test fails
 * when they drift): bash from picocli's generator (zsh loads the same script through bashcompinit), fish written
 * here from the same model.
 */
public final class Completions {

    private Completions() {
    }

    public static String bash(CommandLine root) {
        // picocli writes candidates as a quoted array: the live-name placeholder becomes a command substitution.
        String script = AutoComplete.bash("1bit", root);
        for (LiveNames.Kind kind : LiveNames.Kind.values()) {
            script = script.replace("(\"" + LiveNames.PLACEHOLDER + kind + "\")",
                    "($(1bit complete-names " + kind + " 2>/dev/null))");
        }
        return script;
    }

    /** zsh: the bash script through zsh's bash-completion compatibility layer. */
    public static String zsh(CommandLine root) {
        // picocli's bash functions index arrays from 0: zsh runs them with KSH_ARRAYS, set for the call only.
        return "#compdef 1bit\n# 1bit completion for zsh (generated): the bash completion through bashcompinit.\n"
                + "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" + bash(root)
                + "\n_complete_1bit_zsh() { setopt localoptions ksh_arrays; _complete_1bit \"$@\"; }\n"
                + "complete -F _complete_1bit_zsh -o default 1bit\n";
    }

    public static String fish(CommandLine root) {
        StringBuilder out = new StringBuilder("# 1bit completion for fish (generated from the command model).\n");
        out.append("complete -c 1bit -f\n");
        walk(root.getCommandSpec(), new ArrayList<>(), out);
        return out.toString();
    }

    private static void walk(CommandSpec spec, List<String> path, StringBuilder out) {
        String condition = path.isEmpty() ? "__fish_use_subcommand"
                : "__fish_seen_subcommand_from " + path.getLast()
                        + (path.size() > 1 ? "; and __fish_seen_subcommand_from " + path.get(path.size() - 2) : "");
        for (Map.Entry<String, CommandLine> sub : spec.subcommands().entrySet()) {
            CommandSpec child = sub.getValue().getCommandSpec();
            if (child.usageMessage().hidden() || !sub.getKey().equals(child.name())) {
                continue;  // hidden commands and aliases
            }
            String description = child.usageMessage().description().length == 0 ? ""
                    : child.usageMessage().description()[0];
            out.append("complete -c 1bit -n '").append(subcommandCondition(path)).append("' -a ").append(child.name())
                    .append(" -d '").append(quote(firstSentence(description))).append("'\n");
        }
        for (OptionSpec option : spec.options()) {
            if (option.hidden()) {
                continue;
            }
            StringBuilder line = new StringBuilder("complete -c 1bit -n '").append(condition).append("'");
            for (String name : option.names()) {
                if (name.startsWith("--")) {
                    line.append(" -l ").append(name.substring(2));
                } else if (name.startsWith("-") && name.length() == 2) {
                    line.append(" -s ").append(name.substring(1));
                }
            }
            if (option.arity().max() > 0) {
                line.append(" -r");
                if (option.completionCandidates() != null) {
                    line.append(" -a '").append(quote(candidates(option.completionCandidates()))).append("'");
                }
            }
            String description = option.description().length == 0 ? "" : option.description()[0];
            out.append(line).append(" -d '").append(quote(firstSentence(description))).append("'\n");
        }
        for (var positional : spec.positionalParameters()) {
            if (positional.completionCandidates() != null && !positional.hidden()) {
                out.append("complete -c 1bit -n '").append(condition).append("' -a '")
                        .append(quote(candidates(positional.completionCandidates()))).append("'\n");
            }
        }
        for (Map.Entry<String, CommandLine> sub : spec.subcommands().entrySet()) {
            CommandSpec child = sub.getValue().getCommandSpec();
            if (!child.usageMessage().hidden() && sub.getKey().equals(child.name())) {
                List<String> next = new ArrayList<>(path);
                next.add(child.name());
                walk(child, next, out);
            }
        }
    }

    /** Static candidates as words; a live-name placeholder as a command substitution that fish runs at tab time. */
    private static String candidates(Iterable<String> candidates) {
        List<String> values = new ArrayList<>();
        for (String value : candidates) {
            values.add(value.startsWith(LiveNames.PLACEHOLDER)
                    ? "(1bit complete-names " + value.substring(LiveNames.PLACEHOLDER.length()) + " 2>/dev/null)" : value);
        }
        return String.join(" ", values);
    }

    private static String subcommandCondition(List<String> path) {
        if (path.isEmpty()) {
            return "__fish_use_subcommand";
        }
        // Offer the subcommands of the last word only while none of them was typed yet.
        return "__fish_seen_subcommand_from " + path.getLast();
    }

    private static String firstSentence(String text) {
        String line = text.replaceAll("\\$\\{[^}]*}", "").strip();
        int dot = line.indexOf(". ");
        return dot > 0 ? line.substring(0, dot + 1) : line;
    }

    private static String quote(String text) {
        return text.replace("\\", "\\\\").replace("'", "\\'");
    }
}
