package systems.onebit.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.ondemand.ModelRunner;
import systems.onebit.orchestrator.ondemand.ModelScheduler;
import systems.onebit.orchestrator.ondemand.RunningModel;
import systems.onebit.orchestrator.registry.ModelEntry;
import systems.onebit.orchestrator.registry.Registry;

class ProxyStartTest {

    /** Stand-in model runner (no containers needed here): counts how often models left running are looked for. */
    private static final class CountingRunner implements ModelRunner {
        final AtomicInteger adoptions = new AtomicInteger();

        @Override
        public RunningModel start(ModelEntry model, Duration timeout) {
            throw OrchestratorException.precondition("not in this test", "");
        }

        @Override
        public void stop(RunningModel model) {
        }

        @Override
        public boolean alive(RunningModel model, Duration timeout) {
            return true;
        }

        @Override
        public List<RunningModel> adopt(List<ModelEntry> registered) {
            adoptions.incrementAndGet();
            return List.of();
        }
    }

    private static ModelScheduler scheduler(CountingRunner runner) {
        ModelEntry entry = new ModelEntry("m", Path.of("/models/m.gguf"), 512, "cpu", 1, false, 0);
        return new ModelScheduler(() -> List.of(entry), e -> 1, runner, ModelScheduler.Settings.defaults(1L << 30));
    }

    @Test
    void aTakenPortIsAConflictAndLeavesModelsLeftRunningAlone() throws Exception {
        Registry registry = Registry.defaults();
        CountingRunner runner = new CountingRunner();
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            ProxyServer.Settings settings = ProxyServer.Settings.defaults(registry).withPort(port);
            assertThatThrownBy(() -> ProxyServer.start(RegistryWatch.fixed(registry), settings, new Observer(line -> { }),
                    scheduler(runner)))
                    .isInstanceOfSatisfying(OrchestratorException.class, e -> {
                        assertThat(e.reason()).isEqualTo(OrchestratorException.Reason.CONFLICT);
                        assertThat(e.getMessage()).contains("cannot listen on 127.0.0.1:" + port);
                    });
        }
        // The first proxy's models are its own: a proxy that could not listen never looked for them.
        assertThat(runner.adoptions).hasValue(0);

        try (ProxyServer proxy = ProxyServer.start(RegistryWatch.fixed(registry),
                ProxyServer.Settings.defaults(registry).withPort(0), new Observer(line -> { }), scheduler(runner))) {
            assertThat(proxy.port()).isPositive();
            assertThat(runner.adoptions).hasValue(1);
        }
    }
}
