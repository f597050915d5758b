package systems.onebit.orchestrator.engine;

import java.util.List;
import java.util.Set;
import systems.onebit.orchestrator.testing.InMemoryEngine;

/** The same contract for the in-memory stand-in that logic tests use instead of Podman. */
class InMemoryEngineContractTest extends ContainerEngineContract {

    private final InMemoryEngine engine = new InMemoryEngine(Set.of("localhost/test/busybox:1"));

    @Override
    protected ContainerEngine engine() {
        return engine;
    }

    @Override
    protected String image() {
        return "localhost/test/busybox:1";
    }

    @Override
    protected void cleanUp(List<String> names) {
        engine.close();
    }
}
