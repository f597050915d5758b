package systems.onebit.orchestrator.doctor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.engine.EngineLocator;
import systems.onebit.orchestrator.host.HostPaths;
import systems.onebit.orchestrator.host.ProcessLimits;

/**
 * Checks the host for what the toolbox backends need: Podman, GPU device nodes, group membership, memlock, the
 * kernel command line and the GPU's memory apertures. Every path read comes from {@link HostPaths}, so tests feed it
 * fake trees.
 */
public final class Doctor {

    /** What a connection to the engine found. */
    public record EngineProbe(String description, boolean privateService) {
    }

    private static final long GIB = 1L << 30;

    /**
     * A registered model and the flavor it runs in.
     *
     * @param labelsDisabled whether the flavor runs with {@code label=disable} (SELinux leaves its mounts alone)
     */
    public record ModelPlacement(String model, Path path, String flavor, boolean labelsDisabled) {
    }

    private final HostPaths host;
    private final Map<String, String> env;
    private final Supplier<EngineProbe> engine;
    private final Supplier<List<ModelPlacement>> models;

    /** For the checks that need no container engine ({@link #npuBlockers}). */
    public Doctor(HostPaths host, Map<String, String> env) {
        this(host, env, () -> {
            throw new IllegalStateException("this doctor was made without an engine probe");
        });
    }

    public Doctor(HostPaths host, Map<String, String> env, Supplier<EngineProbe> engine) {
        this(host, env, engine, List::of);
    }

    /** @param models the registry's models and toolbox backends' files, for the SELinux check */
    public Doctor(HostPaths host, Map<String, String> env, Supplier<EngineProbe> engine, Supplier<List<ModelPlacement>> models) {
        this.models = models;
        this.host = host;
        this.env = Map.copyOf(env);
        this.engine = engine;
    }

    public List<CheckResult> run() {
        ProcessLimits limits = ProcessLimits.read(host);
        Map<String, String> cmdline = kernelCommandLine();
        List<CheckResult> results = new ArrayList<>();
        CheckResult podman = podman();
        results.add(podman);
        results.add(podman.status() == CheckResult.Status.FAIL
                ? CheckResult.fail("podman-socket", "not checked: podman is not installed", podman.fix())
                : podmanSocket());
        results.add(renderNode());
        results.add(kfd());
        results.add(groups(limits));
        results.add(podmanMode(limits));
        results.add(selinux());
        results.add(memlock(limits));
        results.add(iommu(cmdline));
        results.add(gttParameters(cmdline));
        results.add(gpuMemory());
        results.add(npu());
        return results;
    }

    /**
     * The checks FastFlowLM needs to pass before it is started: the NPU device, the IOMMU left on, memlock unlimited;
     * the ones that do not pass, each with its fix.
     */
    public List<CheckResult> npuBlockers() {
        ProcessLimits limits = ProcessLimits.read(host);
        return java.util.stream.Stream.of(npu(), iommu(kernelCommandLine()), memlock(limits))
                .filter(r -> r.status() != CheckResult.Status.OK).toList();
    }

    public static boolean anyFailed(List<CheckResult> results) {
        return results.stream().anyMatch(r -> r.status() == CheckResult.Status.FAIL);
    }

    private CheckResult podman() {
        return EngineLocator.findPodman(env)
                .map(p -> CheckResult.ok("podman", version(p) + " at " + p))
                .orElse(CheckResult.fail("podman", "podman is not on PATH",
                        "install it: `sudo dnf install podman` (Fedora) or `sudo apt install podman` (Debian/Ubuntu)"));
    }

    private static String version(Path podman) {
        try {
            String out = new org.zeroturnaround.exec.ProcessExecutor(podman.toString(), "--version")
                    .readOutput(true).timeout(5, java.util.concurrent.TimeUnit.SECONDS).execute().outputUTF8().strip();
            return out.isEmpty() ? "podman" : out;
        } catch (IOException | java.util.concurrent.TimeoutException e) {
            return "podman (version unknown: " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "podman";
        }
    }

    private CheckResult podmanSocket() {
        try {
            EngineProbe probe = engine.get();
            if (probe.privateService()) {
                return CheckResult.warn("podman-socket", "no Podman socket answers; 1bit starts a private "
                        + "`podman system service` for each command, which is slower (" + probe.description() + ")",
                        "systemctl --user enable --now podman.socket (or: sudo systemctl enable --now podman.socket)");
            }
            return CheckResult.ok("podman-socket", probe.description());
        } catch (OrchestratorException e) {
            return CheckResult.fail("podman-socket", e.getMessage(),
                    "systemctl --user enable --now podman.socket (or: sudo systemctl enable --now podman.socket)");
        }
    }

    private CheckResult renderNode() {
        List<String> nodes = list(host.dev().resolve("dri"), "renderD");
        if (nodes.isEmpty()) {
            return CheckResult.fail("gpu-render-node", "no /dev/dri/renderD* device: the GPU is not usable",
                    "load the amdgpu driver (`sudo modprobe amdgpu`; check `lspci -k`), or use --flavor cpu");
        }
        return CheckResult.ok("gpu-render-node", String.join(", ", nodes.stream().map(n -> "/dev/dri/" + n).toList()));
    }

    private CheckResult kfd() {
        if (Files.exists(host.dev().resolve("kfd"))) {
            return CheckResult.ok("kfd", "/dev/kfd present: ROCm flavors can run");
        }
        return CheckResult.warn("kfd", "/dev/kfd is missing: ROCm flavors cannot run (Vulkan flavors can)",
                "use a kernel whose amdgpu driver has KFD (CONFIG_HSA_AMD=y), or stay on --flavor vulkan-radv");
    }

    /**
     * Rootful Podman gets the device nodes' owner groups by number (1bit passes them); rootless Podman keeps the
     * user's own groups only through crun (keep-groups), which runc lacks. Device nodes anyone may open (Fedora's
     * 0666) need neither.
     */
    private CheckResult podmanMode(ProcessLimits limits) {
        if (limits.uid() == 0) {
            return CheckResult.ok("podman-mode", "rootful: the device nodes' owner groups are passed to containers by number");
        }
        boolean crun = Arrays.stream(env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin").split(":"))
                .filter(d -> !d.isEmpty()).anyMatch(d -> Files.isExecutable(Path.of(d, "crun")));
        if (crun) {
            return CheckResult.ok("podman-mode", "rootless with crun: containers keep your video/render groups (keep-groups)");
        }
        List<String> closed = new ArrayList<>();
        for (String node : deviceNodes()) {
            try {
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(host.dev().resolve(node)));
                if (!mode.endsWith("rw-") && !mode.endsWith("rwx")) {
                    closed.add("/dev/" + node + " (" + mode + ")");
                }
            } catch (IOException | UnsupportedOperationException e) {
                closed.add("/dev/" + node + " (mode unreadable)");
            }
        }
        if (closed.isEmpty()) {
            return CheckResult.ok("podman-mode", "rootless: the GPU device nodes are open to every user, no groups needed");
        }
        return CheckResult.fail("podman-mode", "rootless Podman without crun: your video/render groups do not reach the "
                        + "container, so " + String.join(", ", closed) + " will be denied there",
                "install crun (`sudo apt install crun`; Podman then keeps your groups with keep-groups), or run 1bit as "
                        + "root (rootful Podman gets the nodes' groups by number), or open the nodes to all users as Fedora "
                        + "does (a udev rule: KERNEL==\"kfd\", MODE=\"0666\" and SUBSYSTEM==\"drm\", KERNEL==\"renderD*\", MODE=\"0666\")");
    }

    /** The GPU nodes a toolbox is given, relative to /dev: render nodes and kfd. */
    private List<String> deviceNodes() {
        List<String> nodes = new ArrayList<>(list(host.dev().resolve("dri"), "renderD").stream().map(n -> "dri/" + n).toList());
        if (Files.exists(host.dev().resolve("kfd"))) {
            nodes.add("kfd");
        }
        return nodes;
    }

    /**
     * SELinux's mode. Enforcing denies a container's reads of files labelled for the user (home directories,
     * {@code user_home_t}) unless the flavor runs with label=disable, which every embedded flavor sets; a flavor of
     * the user's own that does not gets the model directories it would be denied named.
     */
    private CheckResult selinux() {
        Path enforce = host.sys().resolve("fs/selinux/enforce");
        if (!Files.exists(enforce)) {
            return CheckResult.ok("selinux", "disabled (no /sys/fs/selinux)");
        }
        String mode = lines(enforce).stream().findFirst().orElse("").strip().equals("1") ? "enforcing" : "permissive";
        List<String> denied = mode.equals("enforcing") ? models.get().stream().filter(m -> !m.labelsDisabled())
                .map(m -> m.path().toAbsolutePath().getParent() + " (model " + m.model() + ", flavor " + m.flavor() + ")")
                .distinct().toList() : List.of();
        if (!denied.isEmpty()) {
            Path first = models.get().stream().filter(m -> !m.labelsDisabled()).findFirst().orElseThrow().path();
            return CheckResult.warn("selinux", "enforcing, and these model directories are mounted by flavors without "
                            + "label=disable, so SELinux will deny llama-server there: " + String.join(", ", denied),
                    "add \"label=disable\" to the flavor's securityOpt (as every embedded flavor has), or label the "
                            + "directory for containers: chcon -R -t container_file_t " + first.toAbsolutePath().getParent());
        }
        return CheckResult.ok("selinux", mode + ": every 1bit flavor runs with label=disable (as Toolbx does), so model "
                + "files are neither relabelled nor denied; a flavor of your own needs it too");
    }

    private CheckResult groups(ProcessLimits limits) {
        if (limits.uid() == 0) {
            return CheckResult.ok("groups", "running as root: device access needs no group membership");
        }
        String user = env.getOrDefault("USER", System.getProperty("user.name", ""));
        Map<String, Long> gids = new HashMap<>();
        Map<String, List<String>> members = new HashMap<>();
        for (String line : lines(host.etc().resolve("group"))) {
            String[] f = line.split(":", -1);
            if (f.length >= 4) {
                try {
                    gids.put(f[0], Long.parseLong(f[2]));
                } catch (NumberFormatException e) {
                    continue;
                }
                members.put(f[0], f[3].isEmpty() ? List.of() : Arrays.asList(f[3].split(",")));
            }
        }
        long primaryGid = primaryGid(user);
        List<String> missing = new ArrayList<>();
        List<String> inactive = new ArrayList<>();
        for (String group : List.of("video", "render")) {
            Long gid = gids.get(group);
            if (gid == null) {
                continue;
            }
            boolean configured = members.getOrDefault(group, List.of()).contains(user) || gid == primaryGid;
            if (!configured) {
                missing.add(group);
            } else if (!limits.activeGroups().contains(gid)) {
                inactive.add(group);
            }
        }
        if (!missing.isEmpty()) {
            return CheckResult.fail("groups", "user " + user + " is not in " + String.join(", ", missing),
                    "sudo usermod -aG " + String.join(",", missing) + " " + user + ", then log out and back in");
        }
        if (!inactive.isEmpty()) {
            return CheckResult.warn("groups", "user " + user + " was added to " + String.join(", ", inactive)
                    + " but this login does not have it yet", "log out and back in (or run `newgrp "
                    + inactive.getFirst() + "`)");
        }
        return CheckResult.ok("groups", "user " + user + " is in video and render (active in this login)");
    }

    private long primaryGid(String user) {
        for (String line : lines(host.etc().resolve("passwd"))) {
            String[] f = line.split(":", -1);
            if (f.length >= 4 && f[0].equals(user)) {
                try {
                    return Long.parseLong(f[3]);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private CheckResult memlock(ProcessLimits limits) {
        ProcessLimits.Limit memlock = limits.memlock();
        if (memlock.soft() == ProcessLimits.UNLIMITED) {
            return CheckResult.ok("memlock", "memlock unlimited");
        }
        return CheckResult.warn("memlock", "memlock is limited to " + human(memlock.soft())
                        + "; large models loaded with --mlock or to the GPU may fail",
                "printf '* soft memlock unlimited\\n* hard memlock unlimited\\n' | sudo tee "
                        + "/etc/security/limits.d/99-1bit-systems.conf, then log out and back in");
    }

    private CheckResult iommu(Map<String, String> cmdline) {
        if ("off".equals(cmdline.get("amd_iommu"))) {
            return CheckResult.warn("iommu", "amd_iommu=off is on the kernel command line: it disables the XDNA NPU "
                    + "(FastFlowLM cannot run)", "replace amd_iommu=off with iommu=pt on the kernel command line, then reboot");
        }
        return CheckResult.ok("iommu", cmdline.containsKey("iommu") ? "iommu=" + cmdline.get("iommu")
                : "IOMMU left on (the NPU can work)");
    }

    private CheckResult gttParameters(Map<String, String> cmdline) {
        String pages = cmdline.get("ttm.pages_limit");
        String gtt = cmdline.get("amdgpu.gttsize");
        if (pages != null || gtt != null) {
            return CheckResult.ok("kernel-gtt", "ttm.pages_limit=" + (pages == null ? "(unset)" : pages)
                    + " amdgpu.gttsize=" + (gtt == null ? "(unset)" : gtt));
        }
        long total = memTotal();
        long gttMiB = Math.max(1, (total - 4 * GIB) >> 20);
        String args = "amdgpu.gttsize=" + gttMiB + " ttm.pages_limit=" + (gttMiB * 256);
        return CheckResult.warn("kernel-gtt", "neither ttm.pages_limit nor amdgpu.gttsize is set: the GPU may use only "
                + "about half of RAM", "add `" + args + "` to the kernel command line (Fedora: sudo grubby "
                + "--update-kernel=ALL --args='" + args + "'; Debian/Ubuntu: GRUB_CMDLINE_LINUX in /etc/default/grub, "
                + "then sudo update-grub), then reboot");
    }

    private CheckResult gpuMemory() {
        Optional<systems.onebit.orchestrator.host.GpuMemory> memory = systems.onebit.orchestrator.host.GpuMemory.read(host);
        if (memory.isEmpty()) {
            return CheckResult.warn("gpu-memory", "no amdgpu memory information under /sys/class/drm (no AMD GPU found)",
                    "load the amdgpu driver; on a host without an AMD GPU use --flavor cpu");
        }
        systems.onebit.orchestrator.host.GpuMemory m = memory.get();
        String detail = m.card() + ": GTT " + (m.gtt() > 0 ? human(m.gtt()) : "?") + ", VRAM "
                + (m.vram() > 0 ? human(m.vram()) : "?") + " (GPU can use " + human(m.usable()) + ")";
        long total = memTotal();
        if (total > 0 && m.usable() < total * 3 / 4) {
            return CheckResult.warn("gpu-memory", detail + ", under 3/4 of RAM (" + human(total) + ")",
                    "raise GTT with ttm.pages_limit and amdgpu.gttsize on the kernel command line (see kernel-gtt)");
        }
        return CheckResult.ok("gpu-memory", detail);
    }

    private CheckResult npu() {
        List<String> accel = list(host.dev().resolve("accel"), "accel");
        if (!accel.isEmpty()) {
            return CheckResult.ok("npu", "/dev/accel/" + accel.getFirst() + " present (XDNA NPU usable by FastFlowLM)");
        }
        return CheckResult.warn("npu", "no /dev/accel/accel* device: the XDNA NPU is not available to FastFlowLM",
                "use Linux 6.14+ with the amdxdna driver (`sudo modprobe amdxdna`) and keep the IOMMU on");
    }

    private Map<String, String> kernelCommandLine() {
        Map<String, String> params = new LinkedHashMap<>();
        for (String line : lines(host.proc().resolve("cmdline"))) {
            for (String token : line.trim().split("\\s+")) {
                if (token.isEmpty()) {
                    continue;
                }
                int eq = token.indexOf('=');
                params.put(eq < 0 ? token : token.substring(0, eq), eq < 0 ? "" : token.substring(eq + 1));
            }
        }
        return params;
    }

    private long memTotal() {
        for (String line : lines(host.proc().resolve("meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                String[] parts = line.substring(9).trim().split("\\s+");
                try {
                    return Long.parseLong(parts[0]) * 1024;
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 0;
    }

    private static Optional<Long> readLong(Path file) {
        try {
            return Optional.of(Long.parseLong(Files.readString(file).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static List<String> list(Path dir, String prefix) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
    }

    static String human(long bytes) {
        if (bytes >= GIB) {
            return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) GIB);
        }
        return String.format(Locale.ROOT, "%d MiB", bytes >> 20);
    }
}
