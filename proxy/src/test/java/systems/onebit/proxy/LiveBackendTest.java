package systems.onebit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class LiveBackendTest {

    private static LiveBackend at(String url) {
        return new LiveBackend("b", URI.create(url), 100, List.of(), true);
    }

    @Test
    void aBackendUrlsOwnPathIsKeptAndV1AddedOnlyWhereItIsMissing() {
        assertThat(at("http://127.0.0.1:8080").api("/chat/completions", "")).hasToString("http://127.0.0.1:8080/v1/chat/completions");
        assertThat(at("http://127.0.0.1:8080/").api("/models", "a=1")).hasToString("http://127.0.0.1:8080/v1/models?a=1");
        assertThat(at("http://host/openai/v1").api("/chat/completions", "")).hasToString("http://host/openai/v1/chat/completions");
        assertThat(at("http://host/openai/v1/").api("/models", "")).hasToString("http://host/openai/v1/models");
        assertThat(at("http://host/lemonade/api").api("/models", "")).hasToString("http://host/lemonade/api/v1/models");
    }

    @Test
    void serverPathsGoBesideTheApi() {
        assertThat(at("http://127.0.0.1:8080").root("/props", "")).hasToString("http://127.0.0.1:8080/props");
        assertThat(at("http://host/openai/v1").root("/health", "")).hasToString("http://host/openai/health");
        assertThat(at("http://host/x/").root("/slots", "fail_on_no_slot=1")).hasToString("http://host/x/slots?fail_on_no_slot=1");
    }
}
