package systems.onebit.orchestrator.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import systems.onebit.orchestrator.manifest.ManifestCatalog;
import systems.onebit.orchestrator.manifest.ToolboxManifest;

/**
 * Builds the test image (a busybox-static root file system with a stand-in llama-server) with {@code podman import}
 * and tags it with every embedded manifest's image name, so the real manifests resolve offline.
 *
 * <p>The stand-in llama-server: no registry ships llama.cpp images here and there is no GPU, so the image runs a
 * busybox httpd that answers the health path and {@code /v1/models} the way llama-server does, on the host and
 * port the manifest's command gives, and refuses to start when the model file is not readable.
 */
public final class TestImages {

    public static final String BASE = "localhost/onebit-test/busybox:1";

    static final String STAND_IN_LLAMA_SERVER = """
            #!/bin/sh
            # Stand-in for llama-server (test image only): answers /health and /v1/models like llama-server.
            host=127.0.0.1; port=8080; model=
            while [ $# -gt 0 ]; do
              case "$1" in
                --host) host=$2; shift ;;
                --port) port=$2; shift ;;
                -m|--model) model=$2; shift ;;
              esac
              shift
            done
            if [ ! -r "$model" ]; then echo "error: failed to open model '$model'" >&2; exit 1; fi
            mkdir -p /tmp/www/v1
            echo '{"status":"ok"}' > /tmp/www/health
            id=$(basename "$model")
            printf '{"object":"list","data":[{"id":"%s","object":"model","owned_by":"llamacpp"}]}' "$id" > /tmp/www/v1/models
            echo "stand-in llama-server: model $model on $host:$port"
            exec httpd -f -v -p "$host:$port" -h /tmp/www
            """;

    private TestImages() {
    }

    static synchronized void ensureBuilt() throws IOException {
        List<String> images = ManifestCatalog.load(Path.of("/nonexistent")).all().stream()
                .map(ToolboxManifest::image).toList();
        boolean present = PodmanTestService.podmanResult("image", "exists", BASE).getExitValue() == 0
                && images.stream().allMatch(i -> PodmanTestService.podmanResult("image", "exists", i).getExitValue() == 0);
        if (present) {
            return;
        }
        Path tar = Files.createTempFile("onebit-rootfs", ".tar");
        try {
            writeRootfs(tar);
            PodmanTestService.podman("import", tar.toString(), BASE);
            for (String image : images) {
                PodmanTestService.podman("tag", BASE, image);
            }
        } finally {
            Files.deleteIfExists(tar);
        }
    }

    /**
     * An image with the REAL llama-server (the binary from {@link LlamaServer#binary()}, with the shared libraries it
     * links, and the RPC worker built beside it) on a busybox root file system; tagged per binary size and time so a rebuilt binary gets a new image.
     */
    public static synchronized String llamaServer() throws IOException, InterruptedException {
        Path binary = LlamaServer.binary().toRealPath();
        String tag = "localhost/onebit-test/llama-server:" + Files.size(binary) + "-"
                + Files.getLastModifiedTime(binary).toMillis();
        if (PodmanTestService.podmanResult("image", "exists", tag).getExitValue() == 0) {
            return tag;
        }
        List<Path> libraries = new java.util.ArrayList<>();
        for (String line : new org.zeroturnaround.exec.ProcessExecutor("ldd", binary.toString()).readOutput(true)
                .exitValueNormal().executeNoTimeout().outputUTF8().lines().toList()) {
            String path = line.contains("=>") ? line.split("=>", 2)[1].trim() : line.trim();
            path = path.split(" ", 2)[0];
            if (path.startsWith("/")) {
                libraries.add(Path.of(path));
            }
        }
        Path tar = Files.createTempFile("onebit-llama-rootfs", ".tar");
        try {
            try (OutputStream file = Files.newOutputStream(tar); TarArchiveOutputStream out = new TarArchiveOutputStream(file)) {
                out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                java.util.Set<String> dirs = new java.util.TreeSet<>(List.of("bin/", "tmp/", "app/", "models/", "dev/",
                        "proc/", "sys/", "etc/"));
                for (Path library : libraries) {
                    Path parent = Path.of("/").relativize(library.getParent());
                    for (int i = 1; i <= parent.getNameCount(); i++) {
                        dirs.add(parent.subpath(0, i) + "/");
                    }
                }
                for (String dir : dirs) {
                    TarArchiveEntry entry = new TarArchiveEntry(dir);
                    entry.setMode(dir.equals("tmp/") ? 01777 : 0755);
                    out.putArchiveEntry(entry);
                    out.closeArchiveEntry();
                }
                addFile(out, "bin/busybox", Files.readAllBytes(Path.of("/bin/busybox")), 0755);
                addLink(out, "bin/sh", "busybox");
                addFile(out, "app/llama-server", Files.readAllBytes(binary), 0755);
                // The RPC worker built beside it (statically linked like llama-server), as the toolbox images ship it.
                Path rpc = binary.resolveSibling("rpc-server");
                if (Files.isExecutable(rpc)) {
                    addFile(out, "app/ggml-rpc-server", Files.readAllBytes(rpc), 0755);
                }
                Path bench = binary.resolveSibling("llama-bench");
                if (Files.isExecutable(bench)) {
                    addFile(out, "app/llama-bench", Files.readAllBytes(bench), 0755);
                }
                for (Path library : libraries) {
                    addFile(out, Path.of("/").relativize(library).toString(), Files.readAllBytes(library.toRealPath()), 0755);
                }
                addFile(out, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n".getBytes(StandardCharsets.UTF_8), 0644);
                addFile(out, "etc/group", "root:x:0:\nvideo:x:39:\nrender:x:105:\n".getBytes(StandardCharsets.UTF_8), 0644);
            }
            PodmanTestService.podman("import", tar.toString(), tag);
        } finally {
            Files.deleteIfExists(tar);
        }
        return tag;
    }

    static final String STAND_IN_OPEN_WEBUI = """
            #!/bin/sh
            # Stand-in for Open WebUI (test image only): binds HOST:PORT as the real image's start.sh does, serves
            # /health and /api/config, the latter with the OPENAI_API_BASE_URL it was given.
            mkdir -p /tmp/www/api /app/backend/data
            echo '{"status":true}' > /tmp/www/health
            printf '{"name":"Open WebUI (stand-in)","openai_api_base_url":"%s"}' "$OPENAI_API_BASE_URL" > /tmp/www/api/config
            echo "stand-in open-webui on ${HOST:-0.0.0.0}:${PORT:-8080} using $OPENAI_API_BASE_URL"
            exec httpd -f -v -p "${HOST:-0.0.0.0}:${PORT:-8080}" -h /tmp/www
            """;

    /**
     * The Open WebUI stand-in image, tagged with {@code image} (the manifest's name: no image can be pulled here); its
     * command is {@code /app/backend/start.sh}, as the real image runs its start.sh.
     */
    public static synchronized void openWebUi(String image) throws IOException {
        if (PodmanTestService.podmanResult("image", "exists", image).getExitValue() == 0) {
            return;
        }
        Path tar = Files.createTempFile("onebit-webui-rootfs", ".tar");
        try {
            writeRootfs(tar, STAND_IN_OPEN_WEBUI);
            PodmanTestService.podman("import", "--change", "CMD=[\"/bin/sh\",\"/app/backend/start.sh\"]", tar.toString(), image);
        } finally {
            Files.deleteIfExists(tar);
        }
    }

    private static void writeRootfs(Path tar) throws IOException {
        writeRootfs(tar, "");
    }

    /** The busybox root file system; {@code webuiStart} (when not empty) as /app/backend/start.sh. */
    private static void writeRootfs(Path tar, String webuiStart) throws IOException {
        Path busybox = Path.of("/bin/busybox");
        if (!Files.isExecutable(busybox)) {
            throw new IllegalStateException("/bin/busybox is missing: install busybox-static (.ci/run does)");
        }
        try (OutputStream file = Files.newOutputStream(tar); TarArchiveOutputStream out = new TarArchiveOutputStream(file)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (String dir : List.of("bin/", "usr/", "usr/bin/", "etc/", "tmp/", "app/", "models/", "dev/", "proc/", "sys/")) {
                TarArchiveEntry entry = new TarArchiveEntry(dir);
                entry.setMode(dir.equals("tmp/") ? 01777 : 0755);
                out.putArchiveEntry(entry);
                out.closeArchiveEntry();
            }
            addFile(out, "bin/busybox", Files.readAllBytes(busybox), 0755);
            for (String tool : List.of("sh", "httpd", "sleep", "cat", "ls", "id", "grep", "mkdir", "printf", "echo",
                    "basename", "stat", "readlink", "true", "env", "ps")) {
                addLink(out, "bin/" + tool, "busybox");
            }
            addFile(out, "usr/bin/llama-server", STAND_IN_LLAMA_SERVER.getBytes(StandardCharsets.UTF_8), 0755);
            addLink(out, "app/llama-server", "/usr/bin/llama-server");
            addFile(out, "etc/group", "root:x:0:\nvideo:x:39:\nrender:x:105:\n".getBytes(StandardCharsets.UTF_8), 0644);
            addFile(out, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n".getBytes(StandardCharsets.UTF_8), 0644);
            if (!webuiStart.isEmpty()) {
                for (String dir : List.of("app/backend/", "app/backend/data/")) {
                    TarArchiveEntry entry = new TarArchiveEntry(dir);
                    entry.setMode(0755);
                    out.putArchiveEntry(entry);
                    out.closeArchiveEntry();
                }
                addFile(out, "app/backend/start.sh", webuiStart.getBytes(StandardCharsets.UTF_8), 0755);
            }
        }
    }

    private static void addFile(TarArchiveOutputStream out, String name, byte[] content, int mode) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(content.length);
        entry.setMode(mode);
        out.putArchiveEntry(entry);
        out.write(content);
        out.closeArchiveEntry();
    }

    private static void addLink(TarArchiveOutputStream out, String name, String target) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
        entry.setLinkName(target);
        entry.setMode(0777);
        out.putArchiveEntry(entry);
        out.closeArchiveEntry();
    }

    /**
     * Writes a user manifest {@code cpu.yaml} into {@code dir} that overrides the cpu flavor with the REAL llama-server
     * image ({@link #llamaServer()}); {@code extraArgs} go after the model (one thread, no warm-up already).
     */
    public static java.nio.file.Path cpuManifest(java.nio.file.Path dir, String... extraArgs)
            throws IOException, InterruptedException {
        String image = llamaServer();
        StringBuilder args = new StringBuilder();
        for (String a : extraArgs) {
            args.append(", \"").append(a).append('"');
        }
        java.nio.file.Files.createDirectories(dir);
        return java.nio.file.Files.writeString(dir.resolve("cpu.yaml"), """
                flavor: cpu
                summary: "test override: the real llama-server, CPU only"
                image: %s
                devices: []
                groups: []
                securityOpt: []
                ulimits: {}
                environment: {}
                command: [/app/llama-server, --host, "{host}", --port, "{port}", -m, "{model}"%s, -t, "1", --no-warmup]
                defaults:
                  host: 127.0.0.1
                  port: 13305
                healthPath: /health
                modelsPath: /v1/models
                modelMount: /models
                """.formatted(image, args));
    }
}
