package systems.onebit.orchestrator.toolbox;

import java.io.IOException;
import java.net.BindException;
import java.net.UnknownHostException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.host.PortHolder;
import systems.onebit.orchestrator.probe.KindProbe;

/**
 * Before a toolbox takes its port: free, or a conflict that names what holds it — the program ({@code /proc}, as
 * {@code ss -ltnp} would) and what it answers as (llama-server, Lemonade, FastFlowLM: the same probes as the proxy's).
 */
final class PortCheck {

    private final PortHolder holders;
    private final Duration probeTimeout;

    PortCheck(PortHolder holders, Duration probeTimeout) {
        this.holders = holders;
        this.probeTimeout = probeTimeout;
    }

    static PortCheck real() {
        return new PortCheck(PortHolder.real(), Duration.ofMillis(500));
    }

    void requireFree(String host, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
        } catch (BindException e) {
            if (String.valueOf(e.getMessage()).contains("assign requested address")) {
                throw OrchestratorException.invalid(host + " is not an address of this host, so nothing can listen on it",
                        "give one of its addresses (`ip -brief address` lists them), or 127.0.0.1");
            }
            throw inUse(host, port);
        } catch (UnknownHostException e) {
            throw OrchestratorException.invalid("'" + host + "' is neither an address nor a host name this host knows",
                    "give an IP address of this host, or 127.0.0.1");
        } catch (IOException e) {
            throw inUse(host, port);
        }
    }

    private OrchestratorException inUse(String host, int port) {
        return OrchestratorException.conflict("port " + port + " on " + host + " is already in use by " + holder(host, port),
                "stop it, or choose another port with --port");
    }

    /** "lemonade-server (pid 42), which answers as Lemonade", or as much of it as can be seen. */
    String holder(String host, int port) {
        Optional<String> program = holders.find(port);
        String address = host.contains(":") ? "[" + host + "]" : host;
        Optional<String> answers = KindProbe.probing(probeTimeout, "")
                .identify(URI.create("http://" + (host.equals("0.0.0.0") ? "127.0.0.1" : address) + ":" + port));
        String who = program.orElse("another program (not visible to this user: `sudo ss -ltnp 'sport = :" + port
                + "'` names it)");
        return who + answers.map(a -> ", which answers as " + a).orElse("");
    }
}
