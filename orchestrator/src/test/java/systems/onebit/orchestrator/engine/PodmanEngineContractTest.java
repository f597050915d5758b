package systems.onebit.orchestrator.engine;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import systems.onebit.orchestrator.testing.PodmanTestService;
import systems.onebit.orchestrator.testing.TestImages;

/** The contract against real rootful Podman through its REST socket. */
class PodmanEngineContractTest extends ContainerEngineContract {

    private static PodmanEngine engine;

    @BeforeAll
    static void connect() {
        engine = PodmanEngine.connect(PodmanTestService.socket(), Duration.ofSeconds(5));
    }

    @AfterAll
    static void disconnect() {
        engine.close();
    }

    @Override
    protected ContainerEngine engine() {
        return engine;
    }

    @Override
    protected String image() {
        return TestImages.BASE;
    }

    @Override
    protected void cleanUp(List<String> names) {
        PodmanTestService.removeQuietly(names.toArray(String[]::new));
    }
}
