package systems.onebit.orchestrator.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A real {@code dbus-daemon} on a private unix socket, with a policy that lets any local peer own any name. */
public final class DbusDaemon implements AutoCloseable {

    private final Process process;
    private final Path dir;
    private final String address;

    private DbusDaemon(Process process, Path dir, String address) {
        this.process = process;
        this.dir = dir;
        this.address = address;
    }

    public static DbusDaemon start() throws IOException, InterruptedException {
        Path daemon = Path.of("/usr/bin/dbus-daemon");
        if (!Files.isExecutable(daemon)) {
            throw new IllegalStateException("dbus-daemon is missing: install dbus (.ci/setup-podman.sh does)");
        }
        Path dir = Files.createTempDirectory("onebit-dbus");
        Path socket = dir.resolve("bus.sock");
        Path config = dir.resolve("bus.conf");
        Files.writeString(config, """
                <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
                 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
                <busconfig>
                  <type>session</type>
                  <listen>unix:path=%s</listen>
                  <auth>EXTERNAL</auth>
                  <policy context="default">
                    <allow send_destination="*" eavesdrop="true"/>
                    <allow eavesdrop="true"/>
                    <allow own="*"/>
                  </policy>
                </busconfig>
                """.formatted(socket));
        Process process = new ProcessBuilder(daemon.toString(), "--config-file=" + config, "--nofork", "--nopidfile")
                .redirectErrorStream(true).redirectOutput(dir.resolve("daemon.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(socket)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException("dbus-daemon did not start: " + Files.readString(dir.resolve("daemon.log")));
            }
            Thread.sleep(20);
        }
        return new DbusDaemon(process, dir, "unix:path=" + socket);
    }

    public String address() {
        return address;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
