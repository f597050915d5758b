package systems.onebit.proxy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import systems.onebit.orchestrator.host.GpuMemory;
import systems.onebit.orchestrator.host.HostPaths;

/**
 * The host as Lemonade's {@code GET /api/v1/system-info} describes it: OS, processor, memory, and the devices (CPU,
 * the amdgpu card with its GTT + VRAM, the XDNA NPU when {@code /dev/accel} has one), read from /proc, /sys and /dev.
 */
final class SystemInfo {

    private SystemInfo() {
    }

    static ObjectNode read(HostPaths host) {
        ObjectNode doc = OpenAiError.JSON.createObjectNode();
        String cpu = firstValue(host.proc().resolve("cpuinfo"), "model name").orElse("unknown");
        doc.put("OS Version", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        doc.put("Processor", cpu);
        long memKb = firstValue(host.proc().resolve("meminfo"), "MemTotal").map(v -> Long.parseLong(v.split("\\s+")[0]))
                .orElse(0L);
        doc.put("Physical Memory", String.format(Locale.ROOT, "%.1f GB", memKb / (1024.0 * 1024.0)));
        ObjectNode devices = doc.putObject("devices");
        ObjectNode cpuNode = devices.putObject("cpu");
        cpuNode.put("name", cpu);
        cpuNode.put("threads", Runtime.getRuntime().availableProcessors());
        cpuNode.put("available", true);
        cpuNode.put("family", System.getProperty("os.arch"));
        var gpus = devices.putArray("amd_gpu");
        GpuMemory.read(host).ifPresent(gpu -> {
            ObjectNode node = gpus.addObject();
            node.put("name", gpu.card());
            node.put("vram_gb", gpu.vram() / (double) (1L << 30));
            node.put("gtt_gb", gpu.gtt() / (double) (1L << 30));
            node.put("available", true);
        });
        ObjectNode npu = devices.putObject("amd_npu");
        boolean accel = Files.isDirectory(host.dev().resolve("accel")) && list(host.dev().resolve("accel")).stream()
                .anyMatch(p -> p.getFileName().toString().startsWith("accel"));
        npu.put("name", accel ? "AMD XDNA" : "none");
        npu.put("available", accel);
        npu.put("family", "XDNA2");
        return doc;
    }

    private static Optional<String> firstValue(Path file, String key) {
        try (var lines = Files.lines(file)) {
            return lines.filter(l -> l.startsWith(key)).findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static List<Path> list(Path dir) {
        try (var entries = Files.list(dir)) {
            return entries.toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
