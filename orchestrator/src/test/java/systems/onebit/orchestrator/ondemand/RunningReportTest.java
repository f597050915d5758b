package systems.onebit.orchestrator.ondemand;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunningReportTest {

    @Test
    void whatTheProxyWritesReadsBackAsTheSameReport() throws Exception {
        RunningReport report = new RunningReport(8L << 30, 3L << 29, 4, 1, List.of(
                new RunningReport.Entry("qwen3", "ready", "1bit-model-qwen3", "http://127.0.0.1:40001", 3L << 29, true, 2,
                        12.5, 8400, 0),
                new RunningReport.Entry("gemma", "starting", "1bit-model-gemma", "", 0, false, 0, 0, 0, 1)));
        String written = new ObjectMapper().writeValueAsString(report.document());
        assertThat(written).startsWith("{\"budgetBytes\":8589934592,\"usedBytes\":1610612736,\"loads\":4,\"evictions\":1,"
                + "\"running\":[{\"model\":\"qwen3\",\"state\":\"ready\",\"backend\":\"1bit-model-qwen3\"");
        assertThat(RunningReport.parse(written)).isEqualTo(report);
    }

    @Test
    void anotherDocumentIsRefused() {
        assertThatThrownBy(() -> RunningReport.parse("{\"object\":\"list\",\"data\":[]}"))
                .isInstanceOf(IOException.class).hasMessageContaining("no \"running\" list");
    }
}
