package systems.onebit.orchestrator.toolbox;

/** Labels on every container 1bit makes: its state is always read back from Podman through these. */
public final class Labels {
    public static final String BACKEND = "systems.onebit.backend";
    public static final String FLAVOR = "systems.onebit.flavor";
    public static final String HOST = "systems.onebit.host";
    public static final String PORT = "systems.onebit.port";
    public static final String MODEL = "systems.onebit.model";
    public static final String HEALTH_PATH = "systems.onebit.health-path";
    public static final String MODELS_PATH = "systems.onebit.models-path";
    /** On a container the proxy started on demand: the model alias it serves. */
    public static final String ON_DEMAND = "systems.onebit.on-demand";

    private Labels() {
    }
}
