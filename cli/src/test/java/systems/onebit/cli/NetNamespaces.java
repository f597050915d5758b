package systems.onebit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.zeroturnaround.exec.ProcessExecutor;
import org.zeroturnaround.exec.ProcessResult;

/**
 * Network namespaces for multi-host tests ({@code ip netns}, veth pairs; needs root): hosts whose addresses exist
 * only inside them, programs started in them, all removed on close.
 */
final class NetNamespaces implements AutoCloseable {

    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    static ProcessResult run(String... command) throws Exception {
        return new ProcessExecutor(command).readOutput(true).redirectErrorStream(true).execute();
    }

    static void must(String... command) throws Exception {
        ProcessResult r = run(command);
        assertThat(r.getExitValue()).as(String.join(" ", command) + ": " + r.outputUTF8()).isZero();
    }

    /** A namespace with loopback up. */
    String add(String name) throws Exception {
        must("ip", "netns", "add", name);
        namespaces.add(name);
        must("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    /** A veth pair between namespaces {@code a} and {@code b} ("" for this one), each end with its address (/24). */
    void link(String a, String addressA, String b, String addressB, String tag) throws Exception {
        String endA = "x" + tag + "a";
        String endB = "x" + tag + "b";
        must("ip", "link", "add", endA, "type", "veth", "peer", "name", endB);
        for (String[] end : new String[][] {{a, endA, addressA}, {b, endB, addressB}}) {
            if (!end[0].isEmpty()) {
                must("ip", "link", "set", end[1], "netns", end[0]);
                must("ip", "-n", end[0], "addr", "add", end[2] + "/24", "dev", end[1]);
                must("ip", "-n", end[0], "link", "set", end[1], "up");
            } else {
                must("ip", "addr", "add", end[2] + "/24", "dev", end[1]);
                must("ip", "link", "set", end[1], "up");
            }
        }
    }

    /** Starts {@code command} inside {@code namespace}, its output appended to {@code log}; stopped on close. */
    Process start(String namespace, List<String> command, Map<String, String> env, Path log) throws Exception {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        full.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        Process p = builder.start();
        processes.add(p);
        return p;
    }

    @Override
    public void close() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly().waitFor();
        }
        for (String ns : namespaces) {
            run("ip", "netns", "del", ns);
        }
    }
}
