package systems.onebit.orchestrator.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.doctor.CheckResult.Status;
import systems.onebit.orchestrator.host.HostPaths;

/** Feeds the doctor fake /dev, /sys, /proc and /etc trees shaped like a Strix Halo host. */
class DoctorTest {

    @TempDir
    Path root;
    Path bin;

    private static final String LIMITS_UNLIMITED = """
            Limit                     Soft Limit           Hard Limit           Units
            Max processes             unlimited            unlimited            processes
            Max open files            524288               524288               files
            Max locked memory         unlimited            unlimited            bytes
            """;

    @BeforeEach
    void strixHalo() throws IOException {
        write("dev/dri/renderD128", "");
        write("dev/dri/card1", "");
        write("dev/kfd", "");
        write("dev/accel/accel0", "");
        write("etc/group", "root:x:0:\nvideo:x:39:alice\nrender:x:105:alice\nalice:x:1000:\n");
        write("etc/passwd", "alice:x:1000:1000::/home/alice:/bin/bash\n");
        write("proc/self/status", "Name:\tjava\nUid:\t1000\t1000\t1000\t1000\nGroups:\t39 105 1000\nCapEff:\t0000000000000000\n");
        write("proc/self/limits", LIMITS_UNLIMITED);
        write("proc/cmdline", "BOOT_IMAGE=/vmlinuz root=UUID=x ro iommu=pt amdgpu.gttsize=126976 ttm.pages_limit=32505856\n");
        write("proc/meminfo", "MemTotal:       131072000 kB\n");
        write("sys/class/drm/card1/device/mem_info_gtt_total", Long.toString(124L << 30) + "\n");
        write("sys/class/drm/card1/device/mem_info_vram_total", Long.toString(512L << 20) + "\n");
        write("sys/class/drm/card1-eDP-1/status", "connected\n");
        bin = Files.createDirectories(root.resolve("usr/bin"));
        Path podman = Files.writeString(bin.resolve("podman"), "#!/bin/sh\necho podman version 5.4.0\n");
        podman.toFile().setExecutable(true);
    }

    private void write(String path, String text) throws IOException {
        Path file = root.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private List<CheckResult> run() {
        return new Doctor(new HostPaths(root), Map.of("PATH", bin.toString(), "USER", "alice"),
                () -> new Doctor.EngineProbe("podman 5.4 at unix:///run/user/1000/podman/podman.sock", false)).run();
    }

    @Test
    void enforcingSelinuxNamesModelDirectoriesOfFlavorsThatKeepLabels() throws IOException {
        write("sys/fs/selinux/enforce", "1\n");
        List<Doctor.ModelPlacement> models = List.of(
                new Doctor.ModelPlacement("qwen", Path.of("/home/alice/models/qwen.gguf"), "vulkan-radv", true),
                new Doctor.ModelPlacement("mine", Path.of("/home/alice/llm/mine.gguf"), "my-rocm", false));
        CheckResult selinux = check(new Doctor(new HostPaths(root), Map.of("PATH", bin.toString(), "USER", "alice"),
                () -> new Doctor.EngineProbe("podman", false), () -> models).run(), "selinux");
        assertThat(selinux.status()).isEqualTo(Status.WARN);
        assertThat(selinux.detail()).contains("/home/alice/llm (model mine, flavor my-rocm)").doesNotContain("qwen");
        assertThat(selinux.fix()).contains("label=disable", "chcon -R -t container_file_t /home/alice/llm");
        write("sys/fs/selinux/enforce", "0\n");
        assertThat(check(new Doctor(new HostPaths(root), Map.of("PATH", bin.toString()),
                () -> new Doctor.EngineProbe("podman", false), () -> models).run(), "selinux").status())
                .as("permissive denies nothing").isEqualTo(Status.OK);
    }

    private static CheckResult check(List<CheckResult> results, String id) {
        return results.stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void aWellSetUpHostPassesEveryCheck() throws IOException {
        write("usr/bin/crun", "#!/bin/sh\n");  // rootless Podman keeps the user's groups through crun
        root.resolve("usr/bin/crun").toFile().setExecutable(true);
        List<CheckResult> results = run();
        assertThat(results).extracting(CheckResult::id).containsExactly("podman", "podman-socket", "gpu-render-node",
                "kfd", "groups", "podman-mode", "selinux", "memlock", "iommu", "kernel-gtt", "gpu-memory", "npu");
        assertThat(results).allSatisfy(r -> assertThat(r.status()).as(r.id() + ": " + r.detail()).isEqualTo(Status.OK));
        assertThat(Doctor.anyFailed(results)).isFalse();
        assertThat(check(results, "gpu-memory").detail()).contains("GTT 124.0 GiB", "VRAM 512 MiB");
        assertThat(check(results, "gpu-render-node").detail()).isEqualTo("/dev/dri/renderD128");
        assertThat(check(results, "podman").detail()).isEqualTo("podman version 5.4.0 at " + bin.resolve("podman"));
    }

    @Test
    void missingPodmanFailsBothPodmanChecksWithTheInstallCommand() throws IOException {
        Files.delete(bin.resolve("podman"));
        List<CheckResult> results = run();
        assertThat(check(results, "podman").status()).isEqualTo(Status.FAIL);
        assertThat(check(results, "podman").fix()).contains("install podman");
        assertThat(check(results, "podman-socket").status()).isEqualTo(Status.FAIL);
        assertThat(Doctor.anyFailed(results)).isTrue();
    }

    @Test
    void deadSocketFailsWithTheSystemctlFix() {
        List<CheckResult> results = new Doctor(new HostPaths(root), Map.of("PATH", bin.toString(), "USER", "alice"), () -> {
            throw new OrchestratorException(OrchestratorException.Reason.ENGINE_UNAVAILABLE, "no Podman socket answers", "");
        }).run();
        assertThat(check(results, "podman-socket").status()).isEqualTo(Status.FAIL);
        assertThat(check(results, "podman-socket").fix()).contains("systemctl --user enable --now podman.socket");
    }

    @Test
    void noRenderNodeFailsAndNoKfdWarns() throws IOException {
        Files.delete(root.resolve("dev/dri/renderD128"));
        Files.delete(root.resolve("dev/kfd"));
        List<CheckResult> results = run();
        assertThat(check(results, "gpu-render-node").status()).isEqualTo(Status.FAIL);
        assertThat(check(results, "gpu-render-node").fix()).contains("modprobe amdgpu", "--flavor cpu");
        assertThat(check(results, "kfd").status()).isEqualTo(Status.WARN);
        assertThat(check(results, "kfd").fix()).contains("vulkan-radv");
    }

    @Test
    void rootlessWithoutCrunFailsOnClosedNodesAndSelinuxModeIsReported() throws IOException {
        for (String node : List.of("dev/dri/renderD128", "dev/kfd")) {
            Files.setPosixFilePermissions(root.resolve(node), PosixFilePermissions.fromString("rw-rw----"));
        }
        CheckResult mode = check(run(), "podman-mode");
        assertThat(mode.status()).isEqualTo(Status.FAIL);
        assertThat(mode.detail()).contains("rootless", "without crun", "/dev/dri/renderD128 (rw-rw----)", "/dev/kfd (rw-rw----)");
        assertThat(mode.fix()).contains("crun", "keep-groups", "root", "MODE=\"0666\"");
        for (String node : List.of("dev/dri/renderD128", "dev/kfd")) {
            Files.setPosixFilePermissions(root.resolve(node), PosixFilePermissions.fromString("rw-rw-rw-"));
        }
        assertThat(check(run(), "podman-mode").status()).as("0666 nodes, as on Fedora").isEqualTo(Status.OK);
        Files.setPosixFilePermissions(root.resolve("dev/kfd"), PosixFilePermissions.fromString("rw-rw----"));
        Path crun = bin.resolve("crun");
        Files.writeString(crun, "#!/bin/sh\n");
        crun.toFile().setExecutable(true);
        assertThat(check(run(), "podman-mode").status()).isEqualTo(Status.OK);

        assertThat(check(run(), "selinux").detail()).startsWith("disabled");
        write("sys/fs/selinux/enforce", "1\n");
        assertThat(check(run(), "selinux").detail()).startsWith("enforcing").contains("label=disable");
        write("sys/fs/selinux/enforce", "0\n");
        assertThat(check(run(), "selinux").detail()).startsWith("permissive");
    }

    @Test
    void userNotInRenderGroupFailsWithUsermod() throws IOException {
        write("etc/group", "video:x:39:alice\nrender:x:105:\n");
        CheckResult groups = check(run(), "groups");
        assertThat(groups.status()).isEqualTo(Status.FAIL);
        assertThat(groups.detail()).contains("not in render");
        assertThat(groups.fix()).isEqualTo("sudo usermod -aG render alice, then log out and back in");
    }

    @Test
    void groupConfiguredButNotActiveInThisLoginWarns() throws IOException {
        write("proc/self/status", "Uid:\t1000\t1000\t1000\t1000\nGroups:\t39 1000\nCapEff:\t0\n");
        CheckResult groups = check(run(), "groups");
        assertThat(groups.status()).isEqualTo(Status.WARN);
        assertThat(groups.detail()).contains("render", "this login does not have it yet");
        assertThat(groups.fix()).contains("log out and back in", "newgrp render");
    }

    @Test
    void limitedMemlockWarnsWithTheLimitsFile() throws IOException {
        write("proc/self/limits", LIMITS_UNLIMITED.replace("Max locked memory         unlimited            unlimited",
                "Max locked memory         8388608              8388608"));
        CheckResult memlock = check(run(), "memlock");
        assertThat(memlock.status()).isEqualTo(Status.WARN);
        assertThat(memlock.detail()).contains("8 MiB");
        assertThat(memlock.fix()).contains("/etc/security/limits.d/99-1bit-systems.conf", "memlock unlimited");
    }

    @Test
    void iommuOffWarnsThatTheNpuIsDisabled() throws IOException {
        write("proc/cmdline", "ro amd_iommu=off amdgpu.gttsize=126976\n");
        CheckResult iommu = check(run(), "iommu");
        assertThat(iommu.status()).isEqualTo(Status.WARN);
        assertThat(iommu.detail()).contains("disables the XDNA NPU");
        assertThat(iommu.fix()).contains("iommu=pt");
    }

    @Test
    void missingGttParametersSuggestValuesFromRam() throws IOException {
        write("proc/cmdline", "ro quiet\n");
        write("sys/class/drm/card1/device/mem_info_gtt_total", Long.toString(62L << 30));
        List<CheckResult> results = run();
        CheckResult gtt = check(results, "kernel-gtt");
        assertThat(gtt.status()).isEqualTo(Status.WARN);
        // 125 GiB of RAM less 4 GiB, in MiB, and in 4 KiB pages.
        assertThat(gtt.fix()).contains("amdgpu.gttsize=123904", "ttm.pages_limit=31719424", "grubby");
        assertThat(check(results, "gpu-memory").status()).isEqualTo(Status.WARN);
    }

    @Test
    void noNpuDeviceWarns() throws IOException {
        Files.delete(root.resolve("dev/accel/accel0"));
        assertThat(check(run(), "npu").status()).isEqualTo(Status.WARN);
    }

    @Test
    void rootNeedsNoGroups() throws IOException {
        write("proc/self/status", "Uid:\t0\t0\t0\t0\nGroups:\t0\nCapEff:\t000001ffffffffff\n");
        write("etc/group", "video:x:39:\nrender:x:105:\n");
        assertThat(check(run(), "groups").status()).isEqualTo(Status.OK);
    }
}
