package systems.onebit.orchestrator.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What the amdgpu driver says the GPU can use: GTT (system memory mapped for the GPU) plus VRAM (on Strix Halo the
 * BIOS carve-out), from {@code /sys/class/drm/cardN/device/mem_info_{gtt,vram}_total}. Unknown parts are 0.
 */
public record GpuMemory(String card, long gtt, long vram) {

    public long usable() {
        return gtt + vram;
    }

    /** A memory budget for models and where its figure came from. */
    public record Budget(long bytes, String source) {
    }

    /**
     * What models may use by default: GTT + VRAM of the first amdgpu card, else (no such card: CPU backends) the
     * host's MemTotal less 4 GiB for everything else; empty when neither is known.
     */
    public static Optional<Budget> defaultBudget(HostPaths host) {
        Optional<GpuMemory> gpu = read(host);
        if (gpu.isPresent()) {
            return Optional.of(new Budget(gpu.get().usable(), gpu.get().card() + " GTT + VRAM"));
        }
        try {
            for (String line : Files.readAllLines(host.proc().resolve("meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long total = Long.parseLong(line.substring(9).trim().split("\\s+")[0]) * 1024;
                    return Optional.of(new Budget(Math.max(0, total - (4L << 30)), "MemTotal less 4 GiB (no amdgpu card)"));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** The first card that reports memory; empty where no amdgpu device does. */
    public static Optional<GpuMemory> read(HostPaths host) {
        Path drm = host.sys().resolve("class/drm");
        List<String> cards;
        try (Stream<Path> list = Files.list(drm)) {
            cards = list.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("card") && !n.contains("-"))
                    .sorted().toList();
        } catch (IOException e) {
            return Optional.empty();
        }
        for (String card : cards) {
            Path device = drm.resolve(card).resolve("device");
            Optional<Long> gtt = number(device.resolve("mem_info_gtt_total"));
            Optional<Long> vram = number(device.resolve("mem_info_vram_total"));
            if (gtt.isPresent() || vram.isPresent()) {
                return Optional.of(new GpuMemory(card, gtt.orElse(0L), vram.orElse(0L)));
            }
        }
        return Optional.empty();
    }

    private static Optional<Long> number(Path file) {
        try {
            return Optional.of(Long.parseLong(Files.readString(file).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
