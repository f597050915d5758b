package systems.onebit.orchestrator.testing;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Unix-socket relay in front of the real Podman socket that dies, like a crashed Podman service, as soon as a
 * request containing {@code trigger} passes through: it closes every connection and its socket file disappears.
 * This makes "the Podman socket died in the middle of a command" deterministic.
 */
public final class SocketFaultProxy implements AutoCloseable {

    private final Path path;
    private final ServerSocketChannel server;
    private final Path upstream;
    private final String trigger;
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
    private volatile boolean dead;

    public SocketFaultProxy(Path path, Path upstream, String trigger) throws IOException {
        this.path = path;
        this.upstream = upstream;
        this.trigger = trigger;
        Files.deleteIfExists(path);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Thread.ofVirtual().start(this::acceptLoop);
    }

    public Path path() {
        return path;
    }

    public boolean dead() {
        return dead;
    }

    private void acceptLoop() {
        while (!dead) {
            try {
                SocketChannel client = server.accept();
                SocketChannel target = SocketChannel.open(UnixDomainSocketAddress.of(upstream));
                open.add(client);
                open.add(target);
                Thread.ofVirtual().start(() -> pump(client, target, true));
                Thread.ofVirtual().start(() -> pump(target, client, false));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(SocketChannel from, SocketChannel to, boolean watch) {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        try {
            while (!dead && from.read(buffer) >= 0) {
                buffer.flip();
                if (watch && StandardCharsets.ISO_8859_1.decode(buffer.duplicate()).toString().contains(trigger)) {
                    die();
                    return;
                }
                while (buffer.hasRemaining()) {
                    to.write(buffer);
                }
                buffer.clear();
            }
        } catch (IOException e) {
            // the other side went away
        }
        closeQuietly(from);
        closeQuietly(to);
    }

    private synchronized void die() {
        dead = true;
        closeQuietly(server);
        open.forEach(SocketFaultProxy::closeQuietly);
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // best effort
        }
    }

    private static void closeQuietly(java.nio.channels.Channel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        die();
    }
}
