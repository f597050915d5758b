package systems.onebit.orchestrator.toolbox;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import systems.onebit.orchestrator.OrchestratorException;

/**
 * llama.cpp's RPC workers: a Strix Halo box lending its GPU to another's llama-server ({@code --rpc h1:p1,h2:p2}).
 * The worker's command finds the image's RPC server by either of its names ({@code ggml-rpc-server}, older images
 * {@code rpc-server}); a head's worker addresses must answer before its container is made or started. The RPC
 * protocol has no authentication: a worker listens on the address it is given, loopback by default.
 */
public final class RpcWorkers {

    public static final int DEFAULT_PORT = 50052;
    public static final String LABEL = "systems.onebit.rpc-worker";
    /** On a head: the workers its llama-server offloads to ({@code h1:p1,h2:p2}). */
    public static final String HEAD_LABEL = "systems.onebit.rpc";

    /** Finds the image's RPC server and runs it with the arguments after the script (fixed text: no user input). */
    static final String LAUNCH = "bin=$(command -v ggml-rpc-server || command -v rpc-server"
            + " || ls /app/ggml-rpc-server /app/rpc-server 2>/dev/null | head -n 1); "
            + "[ -n \"$bin\" ] || { echo 'this image has no ggml-rpc-server (older images: rpc-server)' >&2; exit 127; }; "
            + "exec \"$bin\" \"$@\"";

    private RpcWorkers() {
    }

    /** The worker container's command: the image's RPC server on {@code host:port}, with its local tensor cache. */
    static List<String> command(String host, int port) {
        return List.of("/bin/sh", "-c", LAUNCH, "rpc-worker", "-H", host, "-p", Integer.toString(port), "-c");
    }

    /** The {@code --rpc} addresses in a llama-server argument list, in order. */
    public static List<String> addresses(List<String> args) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String value = a.equals("--rpc") && i + 1 < args.size() ? args.get(++i) : a.startsWith("--rpc=") ? a.substring(6) : "";
            for (String address : value.split(",")) {
                if (!address.isBlank()) {
                    out.add(address.strip());
                }
            }
        }
        return out;
    }

    /** Why {@code address} ({@code host:port}) takes no connection; empty when it does. */
    public static Optional<String> unreachable(String address, Duration timeout) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            return Optional.of("'" + address + "' is not host:port");
        }
        try (Socket socket = new Socket()) {
            socket.setSoLinger(true, 0);  // a reset, not a FIN (see RpcProbe)
            socket.connect(new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
                    (int) timeout.toMillis());
            return Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.of("'" + address + "' has no port number");
        } catch (SocketTimeoutException e) {
            return Optional.of("no answer to a connection within " + timeout.toMillis() + " ms (down, or busy serving a "
                    + "head with its queue of waiting connections full)");
        } catch (IOException e) {
            return Optional.of(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    /** Every worker address must answer; the first that does not is an error naming it. */
    public static void requireReachable(List<String> addresses, Duration timeout) {
        for (String address : addresses) {
            Optional<String> why = unreachable(address, timeout);
            if (why.isPresent()) {
                throw OrchestratorException.precondition("RPC worker " + address + " does not answer (" + why.get() + ")",
                        "start it on that host (`1bit toolbox create W --flavor F --rpc-worker --rpc-host ADDR` then "
                                + "`1bit toolbox start W`), or fix the --rpc address");
            }
        }
    }
}
