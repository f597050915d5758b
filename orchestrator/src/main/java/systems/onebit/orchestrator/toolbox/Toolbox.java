package systems.onebit.orchestrator.toolbox;

import java.net.URI;
import systems.onebit.orchestrator.engine.ContainerInfo;

/** A toolbox backend container, as read back from its labels and the engine's state. */
public record Toolbox(String name, String id, String flavor, ContainerInfo.State state, String status, String host,
                      int port, String model, String image, String healthPath, String modelsPath) {

    public static Toolbox from(ContainerInfo c) {
        int port;
        try {
            port = Integer.parseInt(c.label(Labels.PORT));
        } catch (NumberFormatException e) {
            port = 0;
        }
        String health = c.label(Labels.HEALTH_PATH);
        String models = c.label(Labels.MODELS_PATH);
        return new Toolbox(c.label(Labels.BACKEND), c.id(), c.label(Labels.FLAVOR), c.state(), c.status(),
                c.label(Labels.HOST).isEmpty() ? "127.0.0.1" : c.label(Labels.HOST), port, c.label(Labels.MODEL),
                c.image(), health.isEmpty() ? "/health" : health, models.isEmpty() ? "/v1/models" : models);
    }

    public URI url() {
        return systems.onebit.orchestrator.registry.Registry.localUrl(host, port);
    }

    public boolean running() {
        return state == ContainerInfo.State.RUNNING;
    }
}
