package systems.onebit.orchestrator.toolbox;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Asks a llama.cpp RPC worker for its devices' memory, the way llama-server's head does before it places layers:
 * HELLO, DEVICE_COUNT, then GET_DEVICE_MEMORY per device (ggml-rpc's wire format: a command byte, a little-endian
 * 64-bit size and the payload; answers are a size and a payload). The protocol is tied to llama.cpp's version: a
 * worker of another major version answers HELLO with it, and only that version is reported.
 */
public final class RpcProbe {

    /** ggml-rpc's protocol major version this reads (llama.cpp's ggml-rpc.h, RPC_PROTO_MAJOR_VERSION). */
    static final int MAJOR = 6;
    private static final int CONN_CAPS = 24;
    private static final byte HELLO = 14;
    private static final byte DEVICE_COUNT = 15;
    private static final byte GET_DEVICE_MEMORY = 11;

    private RpcProbe() {
    }

    public record Device(int index, long free, long total) {
    }

    /** The worker's protocol version and, when it is one this reads, its devices. */
    public record Report(String version, boolean understood, List<Device> devices) {
        public Report {
            devices = List.copyOf(devices);
        }

        public long free() {
            return devices.stream().mapToLong(Device::free).sum();
        }

        public long total() {
            return devices.stream().mapToLong(Device::total).sum();
        }
    }

    /** What a probe found: the worker's report, a worker busy with a head, or why it took no connection. */
    public sealed interface Outcome {
        /** Whether the worker took the connection. */
        default boolean reachable() {
            return !(this instanceof Unreachable);
        }

        record Answered(Report report) implements Outcome {
        }

        /** Connected, but the worker is serving a head (it serves one client at a time). */
        record Busy() implements Outcome {
        }

        /** Connected, but its answer was not this protocol's. */
        record Unreadable(String why) implements Outcome {
        }

        record Unreachable(String why) implements Outcome {
        }
    }

    /** One connection: whether the worker takes it and, when it is free, its devices' memory. */
    public static Outcome probe(String address, Duration timeout) {
        int colon = address.lastIndexOf(':');
        String host = address.substring(0, Math.max(0, colon)).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            return new Outcome.Unreachable("'" + address + "' is not host:port");
        }
        try (Socket socket = new Socket()) {
            // Closed with a reset, never a FIN: a worker serves one client at a time, so an unanswered HELLO waits in
            // its queue; served after a FIN, its two-part answer would meet a closed socket and SIGPIPE the worker.
            socket.setSoLinger(true, 0);
            try {
                socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            } catch (SocketTimeoutException e) {
                return new Outcome.Unreachable("no answer to a connection within " + timeout.toMillis() + " ms (down, "
                        + "or busy serving a head with its queue of waiting connections full)");
            } catch (IOException e) {
                return new Outcome.Unreachable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            }
            try {
                return new Outcome.Answered(exchange(socket, timeout));
            } catch (SocketTimeoutException e) {
                return new Outcome.Busy();
            } catch (IOException e) {
                return new Outcome.Unreadable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            }
        } catch (IOException e) {
            return new Outcome.Unreachable(e.getMessage());
        }
    }

    private static Report exchange(Socket socket, Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        socket.setTcpNoDelay(true);
        OutputStream out = socket.getOutputStream();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        send(out, HELLO, new byte[CONN_CAPS]);  // no transport upgrade offered
        ByteBuffer hello = receive(in, 4 + CONN_CAPS);
        int major = hello.get() & 0xff;
        int minor = hello.get() & 0xff;
        int patch = hello.get() & 0xff;
        String version = major + "." + minor + "." + patch;
        if (major != MAJOR) {
            return new Report(version, false, List.of());
        }
        send(out, DEVICE_COUNT, new byte[0]);
        int count = receive(in, 4).getInt();
        List<Device> devices = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            send(out, GET_DEVICE_MEMORY, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(i).array());
            ByteBuffer memory = receive(in, 16);
            devices.add(new Device(i, memory.getLong(), memory.getLong()));
        }
        return new Report(version, true, devices);
    }

    private static void send(OutputStream out, byte command, byte[] payload) throws IOException {
        ByteBuffer message = ByteBuffer.allocate(1 + 8 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        message.put(command).putLong(payload.length).put(payload);
        out.write(message.array());
        out.flush();
    }

    private static ByteBuffer receive(DataInputStream in, int expected) throws IOException {
        byte[] size = new byte[8];
        in.readFully(size);
        long length = ByteBuffer.wrap(size).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (length != expected) {
            throw new IOException("the worker answered " + length + " bytes where its protocol has " + expected);
        }
        byte[] payload = new byte[expected];
        in.readFully(payload);
        return ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
    }
}
