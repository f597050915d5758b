package systems.onebit.orchestrator.testing;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.zeroturnaround.exec.ProcessExecutor;
import org.zeroturnaround.exec.ProcessResult;

/**
 * Real rootful Podman for integration tests: one {@code podman system service} on a private socket per test JVM,
 * and the test images built locally (no registry is reachable here). A missing podman fails the test run; it is
 * never skipped.
 */
public final class PodmanTestService {

    private static URI socket;
    private static Process service;

    private PodmanTestService() {
    }

    /** The socket of the shared service, started on first use. */
    public static synchronized URI socket() {
        if (socket == null) {
            try {
                Path dir = Files.createTempDirectory("onebit-podman-test");
                Path path = dir.resolve("podman.sock");
                service = new ProcessBuilder("podman", "system", "service", "--time=0", "unix://" + path)
                        .redirectErrorStream(true).redirectOutput(dir.resolve("service.log").toFile()).start();
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (!Files.exists(path)) {
                    if (System.nanoTime() > deadline || !service.isAlive()) {
                        throw new IllegalStateException("podman system service did not start: "
                                + Files.readString(dir.resolve("service.log")));
                    }
                    Thread.sleep(50);
                }
                socket = URI.create("unix://" + path);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> service.destroy()));
                TestImages.ensureBuilt();
            } catch (IOException e) {
                throw new IllegalStateException("real Podman is required for this test (install it with .ci/run): " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return socket;
    }

    /** Runs the podman CLI (test setup and cross-checks only), failing on a non-zero exit. */
    public static String podman(String... args) {
        ProcessResult result = podmanResult(args);
        if (result.getExitValue() != 0) {
            throw new IllegalStateException("podman " + String.join(" ", args) + " failed: " + result.outputUTF8());
        }
        return result.outputUTF8();
    }

    public static ProcessResult podmanResult(String... args) {
        try {
            return new ProcessExecutor(concat("podman", args)).readOutput(true).redirectErrorStream(false)
                    .timeout(120, TimeUnit.SECONDS).execute();
        } catch (IOException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("podman " + String.join(" ", args) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Removes containers by name, ignoring the ones that do not exist. */
    public static void removeQuietly(String... names) {
        for (String name : names) {
            podmanResult("rm", "-f", "-t", "0", name);
        }
    }

    private static String[] concat(String first, String... rest) {
        List<String> all = new java.util.ArrayList<>();
        all.add(first);
        all.addAll(List.of(rest));
        return all.toArray(String[]::new);
    }
}
