package systems.onebit.orchestrator.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Against the real /proc: another process (busybox nc) and this JVM. */
class PortHolderTest {

    @Test
    void namesTheProgramListening() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Process nc = new ProcessBuilder("busybox", "nc", "-l", "-p", Integer.toString(port)).redirectErrorStream(true).start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!listening(port) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(PortHolder.real().find(port)).contains("busybox (pid " + nc.pid() + ")");
        } finally {
            nc.destroyForcibly().waitFor();
        }
        try (ServerSocket mine = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThat(PortHolder.real().find(mine.getLocalPort())).contains("java (pid " + ProcessHandle.current().pid() + ")");
        }
        int free;
        try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            free = gone.getLocalPort();
        }
        assertThat(PortHolder.real().find(free)).isEmpty();
    }

    private static boolean listening(int port) {
        // Probed through /proc, not by connecting: busybox nc serves one connection and exits.
        return PortHolder.real().find(port).isPresent();
    }
}
