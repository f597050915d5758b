package systems.onebit.orchestrator.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RpcExposureTest {

    @Test
    void workersOnLoopbackAreFine() {
        assertThat(RpcExposure.check(List.of()).status()).isEqualTo(CheckResult.Status.OK);
        CheckResult local = RpcExposure.check(List.of(new RpcExposure.Worker("w1", "127.0.0.1", 50052),
                new RpcExposure.Worker("w2", "localhost", 50053)));
        assertThat(local.status()).isEqualTo(CheckResult.Status.OK);
        assertThat(local.detail()).contains("2 RPC worker(s), all on loopback");
    }

    @Test
    void aWorkerBeyondLoopbackIsNamedWithTheAdvice() {
        CheckResult r = RpcExposure.check(List.of(new RpcExposure.Worker("w1", "127.0.0.1", 50052),
                new RpcExposure.Worker("gpu2", "10.0.0.2", 50052)));
        assertThat(r.status()).isEqualTo(CheckResult.Status.WARN);
        assertThat(r.detail()).contains("gpu2 on 10.0.0.2:50052", "no authentication").doesNotContain("w1");
        assertThat(r.fix()).contains("private link");
    }
}
