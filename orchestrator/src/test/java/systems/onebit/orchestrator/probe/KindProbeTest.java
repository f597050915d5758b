package systems.onebit.orchestrator.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import systems.onebit.orchestrator.registry.Backend;
import systems.onebit.orchestrator.registry.BackendKind;

/** The per-kind probe's decisions over answers given per URL: no network. */
class KindProbeTest {

    private static final String MODELS = "{\"object\":\"list\",\"data\":[{\"id\":\"a\"},{\"id\":\"b\"}]}";
    private static final String PROPS = "{\"total_slots\":4,\"default_generation_settings\":{\"n_ctx\":8192}}";

    /** Answers from a table; a URL not in it is refused, as a closed port would be. */
    private final Map<String, KindProbe.Answer> answers = new HashMap<>();
    private final List<String> asked = new ArrayList<>();
    private final KindProbe probe = new KindProbe(target -> {
        asked.add(target.toString());
        KindProbe.Answer a = answers.get(target.toString());
        if (a == null) {
            throw new ConnectException("refused");
        }
        return a;
    });

    private void answer(String url, int status, String body) {
        answers.put(url, new KindProbe.Answer(status, body.getBytes(StandardCharsets.UTF_8)));
    }

    private static Backend backend(BackendKind kind, String url, List<String> models) {
        return new Backend("b", kind, URI.create(url), kind == BackendKind.TOOLBOX ? "vulkan-radv" : "", models,
                List.of(), 100, true);
    }

    @Test
    void toolboxReadyWithItsSlots() throws IOException {
        answer("http://h:1/health", 200, "{\"status\":\"ok\"}");
        answer("http://h:1/v1/models", 200, MODELS);
        answer("http://h:1/props", 200, PROPS);
        assertThat(probe.probe(backend(BackendKind.TOOLBOX, "http://h:1", List.of()), true))
                .isEqualTo(new KindProbe.Up(List.of("a", "b"), Optional.of(new KindProbe.Props(4, 8192, true))));
        asked.clear();
        assertThat(probe.probe(backend(BackendKind.TOOLBOX, "http://h:1", List.of()), false))
                .isEqualTo(new KindProbe.Up(List.of("a", "b"), Optional.empty()));
        assertThat(asked).as("props only when asked").containsExactly("http://h:1/health", "http://h:1/v1/models");
    }

    @Test
    void toolboxLoadingIsNotDown() throws IOException {
        answer("http://h:1/health", 503, "{\"error\":{\"message\":\"Loading model\"}}");
        assertThat(probe.probe(backend(BackendKind.TOOLBOX, "http://h:1", List.of()), true))
                .isInstanceOf(KindProbe.Loading.class);
    }

    @Test
    void toolboxPortAnsweredByLemonadeOrFastFlowLmIsNamed() throws IOException {
        answer("http://h:1/health", 404, "{\"detail\":\"Not Found\"}");
        answer("http://h:1/api/v1/health", 200, "{\"status\":\"ok\"}");
        answer("http://h:1/v1/models", 200, MODELS);
        assertThat(probe.probe(backend(BackendKind.TOOLBOX, "http://h:1", List.of()), true))
                .isEqualTo(new KindProbe.Down("port 1 is Lemonade, not the toolbox backend 'b' (llama-server): stop "
                        + "Lemonade there, or give the backend another port"));
        answers.clear();
        answer("http://h:2/health", 404, "Not Found");
        answer("http://h:2/api/tags", 200, "{\"models\":[]}");
        assertThat(probe.probe(backend(BackendKind.TOOLBOX, "http://h:2", List.of()), true))
                .isEqualTo(new KindProbe.Down("port 2 is FastFlowLM, not the toolbox backend 'b' (llama-server): stop "
                        + "FastFlowLM there, or give the backend another port"));
        // A server with a /health of its own but no llama-server /props: still found out by its other paths.
        answers.clear();
        answer("http://h:3/health", 200, "{\"status\":\"ok\"}");
        answer("http://h:3/v1/models", 200, MODELS);
        answer("http://h:3/api/v1/health", 200, "{\"status\":\"ok\"}");
        assertThat(probe.probe(backend(BackendKind.TOOLBOX, "http://h:3", List.of()), true))
                .isInstanceOf(KindProbe.Down.class).extracting(o -> ((KindProbe.Down) o).why()).asString()
                .startsWith("port 3 is Lemonade");
    }

    @Test
    void lemonadeOnItsOwnPathsAndFastFlowLmFilteredToTheRegistry() throws IOException {
        answer("http://h:1/api/v1/health", 200, "{\"status\":\"ok\"}");
        answer("http://h:1/api/v1/models", 200, MODELS);
        assertThat(probe.probe(backend(BackendKind.LEMONADE, "http://h:1", List.of()), false))
                .isEqualTo(new KindProbe.Up(List.of("a", "b"), Optional.empty()));
        assertThat(probe.probe(backend(BackendKind.LEMONADE, "http://h:1/api/v1", List.of()), false))
                .as("registered by its API base").isEqualTo(new KindProbe.Up(List.of("a", "b"), Optional.empty()));
        answer("http://h:2/api/tags", 200, "{\"models\":[]}");
        answer("http://h:2/v1/models", 200, MODELS);
        assertThat(probe.probe(backend(BackendKind.FLM, "http://h:2", List.of("b", "c")), false))
                .isEqualTo(new KindProbe.Up(List.of("b"), Optional.empty()));
    }

    @Test
    void aBaseUrlPathIsKept() throws IOException {
        answer("http://h:1/openai/v1/models", 200, MODELS);
        assertThat(probe.probe(backend(BackendKind.OPENAI, "http://h:1/openai/v1", List.of()), false))
                .isEqualTo(new KindProbe.Up(List.of("a", "b"), Optional.empty()));
    }

    @Test
    void nonJsonAnswersAreDownWithWhy() throws IOException {
        answer("http://h:1/v1/models", 200, "<html><body>models</body></html>");
        assertThat(probe.probe(backend(BackendKind.OPENAI, "http://h:1", List.of()), false))
                .isEqualTo(new KindProbe.Down("its model list is not an OpenAI-compatible JSON answer"));
        answer("http://h:2/api/v1/health", 200, "<html>ok</html>");
        assertThat(probe.probe(backend(BackendKind.LEMONADE, "http://h:2", List.of()), false))
                .isEqualTo(new KindProbe.Down("/api/v1/health answered 200, not JSON"));
        answer("http://h:3/v1/models", 401, "{\"error\":\"key\"}");
        assertThat(probe.probe(backend(BackendKind.OPENAI, "http://h:3", List.of()), false))
                .isEqualTo(new KindProbe.Down("its model list answered 401"));
    }

    @Test
    void noAnswerPropagatesForTheCallerToJudge() {
        assertThatThrownBy(() -> probe.probe(backend(BackendKind.TOOLBOX, "http://h:9", List.of()), true))
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void identifiesWhatAnswers() {
        answer("http://h:1/props", 200, PROPS);
        answer("http://h:2/api/v1/health", 200, "{\"status\":\"ok\"}");
        answer("http://h:3/api/tags", 200, "{\"models\":[]}");
        answer("http://h:4/", 200, "<html>nginx</html>");
        assertThat(probe.identify(URI.create("http://h:1"))).contains("llama-server");
        assertThat(probe.identify(URI.create("http://h:2"))).contains("Lemonade");
        assertThat(probe.identify(URI.create("http://h:3"))).contains("FastFlowLM");
        assertThat(probe.identify(URI.create("http://h:4"))).isEmpty();
        assertThat(probe.identify(URI.create("http://h:5"))).isEmpty();
    }
}
