package systems.onebit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The routing decision without a server. */
class RouterTest {

    private static LiveBackend backend(String name, int priority, boolean healthy, String... models) {
        return new LiveBackend(name, URI.create("http://127.0.0.1:1"), priority, List.of(models), healthy);
    }

    private final List<LiveBackend> backends = List.of(
            backend("toolbox", 100, true, "qwen3-30b", "shared"),
            backend("lemonade", 50, true, "phi-4", "shared"),
            backend("flm", 200, false, "llama3.2-1b"));

    @Test
    void routesByModel() {
        assertThat(Router.route(Optional.of("qwen3-30b"), backends, Map.of(), "toolbox"))
                .isEqualTo(new Router.Decision.Forward(backends.get(0), "qwen3-30b"));
        assertThat(Router.route(Optional.of("phi-4"), backends, Map.of(), "toolbox"))
                .isEqualTo(new Router.Decision.Forward(backends.get(1), "phi-4"));
    }

    @Test
    void aSharedModelGoesToTheLowerPriorityThenTheName() {
        assertThat(Router.route(Optional.of("shared"), backends, Map.of(), "toolbox"))
                .isEqualTo(new Router.Decision.Forward(backends.get(1), "shared"));
        List<LiveBackend> tie = List.of(backend("b", 100, true, "m"), backend("a", 100, true, "m"));
        assertThat(((Router.Decision.Forward) Router.route(Optional.of("m"), tie, Map.of(), "")).backend().name()).isEqualTo("a");
    }

    @Test
    void anUnknownModelIsNeverSentElsewhere() {
        assertThat(Router.route(Optional.of("gpt-4o"), backends, Map.of(), "toolbox"))
                .isEqualTo(new Router.Decision.UnknownModel("gpt-4o", List.of("phi-4", "shared", "qwen3-30b")));
    }

    @Test
    void aRegisteredModelNoLiveBackendServesIsLoadedOnDemand() {
        assertThat(Router.route(Optional.of("gemma"), backends, Map.of("g", "gemma"), "toolbox", java.util.Set.of("gemma")))
                .isEqualTo(new Router.Decision.Load("gemma"));
        assertThat(Router.route(Optional.of("g"), backends, Map.of("g", "gemma"), "toolbox", java.util.Set.of("gemma")))
                .isEqualTo(new Router.Decision.Load("gemma"));
        // A live backend that already serves it wins over a new load; an unknown model lists the loadable ones too.
        assertThat(Router.route(Optional.of("phi-4"), backends, Map.of(), "toolbox", java.util.Set.of("phi-4")))
                .isEqualTo(new Router.Decision.Forward(backends.get(1), "phi-4"));
        assertThat(Router.route(Optional.of("gpt-4o"), backends, Map.of(), "toolbox", java.util.Set.of("gemma")))
                .isEqualTo(new Router.Decision.UnknownModel("gpt-4o", List.of("phi-4", "shared", "qwen3-30b", "gemma")));
    }

    @Test
    void aModelWhoseBackendIsDownIsUnavailableNotUnknown() {
        assertThat(Router.route(Optional.of("llama3.2-1b"), backends, Map.of(), "toolbox"))
                .isInstanceOf(Router.Decision.Unavailable.class);
    }

    @Test
    void aDownBackendsModelFailsOverToAnotherThatHasIt() {
        List<LiveBackend> failover = List.of(backend("first", 10, false, "m"), backend("second", 20, true, "m"));
        assertThat(((Router.Decision.Forward) Router.route(Optional.of("m"), failover, Map.of(), "")).backend().name())
                .isEqualTo("second");
    }

    @Test
    void noModelGoesToTheDefaultBackendOrTheFirstHealthyOne() {
        assertThat(((Router.Decision.Forward) Router.route(Optional.empty(), backends, Map.of(), "toolbox")).backend().name())
                .isEqualTo("toolbox");
        assertThat(((Router.Decision.Forward) Router.route(Optional.empty(), backends, Map.of(), "flm")).backend().name())
                .isEqualTo("lemonade");
        assertThat(Router.route(Optional.empty(), List.of(backend("x", 1, false)), Map.of(), "x"))
                .isInstanceOf(Router.Decision.Unavailable.class);
    }

    @Test
    void aliasesResolveBeforeRouting() {
        assertThat(Router.route(Optional.of("coder"), backends, Map.of("coder", "qwen3-30b"), "toolbox"))
                .isEqualTo(new Router.Decision.Forward(backends.get(0), "qwen3-30b"));
    }
}
