package systems.onebit.orchestrator.pull;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import systems.onebit.orchestrator.OrchestratorException;

class ModelRefTest {

    private static ModelRef parse(String text) {
        return ModelRef.parse(text, "huggingface.co");
    }

    @Test
    void everyFormOfReference() {
        assertThat(parse("unsloth/Qwen3-8B-GGUF"))
                .isEqualTo(new ModelRef.Hub("unsloth/Qwen3-8B-GGUF", "main", Optional.empty(), Optional.empty()));
        assertThat(parse("unsloth/Qwen3-8B-GGUF:q4_k_m")).as("llama.cpp's -hf convention, any case")
                .isEqualTo(new ModelRef.Hub("unsloth/Qwen3-8B-GGUF", "main", Optional.of("Q4_K_M"), Optional.empty()));
        assertThat(parse("hf://ggml-org/gpt-oss-120b-GGUF/gpt-oss-120b-mxfp4-00001-of-00003.gguf"))
                .isEqualTo(new ModelRef.Hub("ggml-org/gpt-oss-120b-GGUF", "main", Optional.empty(),
                        Optional.of("gpt-oss-120b-mxfp4-00001-of-00003.gguf")));
        assertThat(parse("org/repo/Q4_K_M/model.gguf"))
                .isEqualTo(new ModelRef.Hub("org/repo", "main", Optional.empty(), Optional.of("Q4_K_M/model.gguf")));
        assertThat(parse("https://huggingface.co/org/repo/resolve/abc123/model-Q8_0.gguf?download=true"))
                .isEqualTo(new ModelRef.Hub("org/repo", "abc123", Optional.empty(), Optional.of("model-Q8_0.gguf")));
        assertThat(parse("https://example.org/models/tiny.gguf"))
                .isEqualTo(new ModelRef.Url(URI.create("https://example.org/models/tiny.gguf")));
        assertThat(parse("gpt-oss-20b")).isEqualTo(new ModelRef.Catalog("gpt-oss-20b"));
    }

    @Test
    void badReferencesSayWhatIsAccepted() {
        for (String bad : new String[] {"org/", "/repo", "org/repo:Q4 K", "org/repo/../../etc/passwd", "hf://name", "Big Model"}) {
            assertThatThrownBy(() -> parse(bad)).as(bad).isInstanceOf(OrchestratorException.class)
                    .hasMessageContaining("is not a model reference");
        }
        assertThatThrownBy(() -> parse("http://example.org/tiny.gguf")).hasMessageContaining("plain http");
        assertThat(parse("http://127.0.0.1:8080/tiny.gguf")).as("loopback: a local mirror").isInstanceOf(ModelRef.Url.class);
    }
}
