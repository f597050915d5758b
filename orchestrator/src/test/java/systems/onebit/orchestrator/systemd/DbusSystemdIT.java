package systems.onebit.orchestrator.systemd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import systems.onebit.orchestrator.OrchestratorException;
import systems.onebit.orchestrator.testing.DbusDaemon;
import systems.onebit.orchestrator.testing.StandInSystemd;

/** The systemd client against a real dbus-daemon, with the stand-in Manager (named so) exported on it. */
class DbusSystemdIT {

    private static DbusDaemon bus;
    private static StandInSystemd systemd;

    @BeforeAll
    static void start() throws Exception {
        bus = DbusDaemon.start();
        systemd = new StandInSystemd(bus.address(), Map.of(
                "1bit-proxy.service", "/org/freedesktop/systemd1/unit/_31bit_2dproxy_2eservice",
                "1bit-toolbox@llama.service", "/org/freedesktop/systemd1/unit/_31bit_2dtoolbox_40llama_2eservice"));
    }

    @AfterAll
    static void stop() throws Exception {
        systemd.close();
        bus.close();
    }

    @Test
    void startsQueriesAndStopsUnitsByTheirEscapedPaths() {
        try (DbusSystemd client = DbusSystemd.connect(bus.address(), "systemd --user")) {
            assertThat(client.status("1bit-proxy.service")).get().extracting(UnitStatus::activeState).isEqualTo("inactive");
            UnitStatus started = client.start("1bit-proxy.service", Duration.ofSeconds(5));
            assertThat(started.active()).isTrue();
            assertThat(systemd.state("1bit-proxy.service")).isEqualTo("active");
            assertThat(client.status("1bit-toolbox@llama.service")).get().extracting(UnitStatus::subState).isEqualTo("dead");
            client.start("1bit-toolbox@llama.service", Duration.ofSeconds(5));
            assertThat(client.status("1bit-toolbox@llama.service")).get().extracting(UnitStatus::subState).isEqualTo("running");
            assertThat(client.stop("1bit-proxy.service", Duration.ofSeconds(5)).activeState()).isEqualTo("inactive");
            assertThat(systemd.calls()).contains("StartUnit 1bit-proxy.service replace",
                    "StartUnit 1bit-toolbox@llama.service replace", "StopUnit 1bit-proxy.service replace");
        }
    }

    @Test
    void aUnitThatIsNotInstalledIsAbsentAndCannotBeStarted() {
        try (DbusSystemd client = DbusSystemd.connect(bus.address(), "systemd --user")) {
            assertThat(client.status("open-webui.service")).isEmpty();
            assertThatThrownBy(() -> client.start("open-webui.service", Duration.ofSeconds(1)))
                    .isInstanceOf(OrchestratorException.class)
                    .hasMessageContaining("has no unit open-webui.service");
        }
    }

    @Test
    void aBusWithoutSystemdIsReportedAsUnavailable() throws Exception {
        try (DbusDaemon empty = DbusDaemon.start()) {
            assertThatThrownBy(() -> DbusSystemd.connect(empty.address(), "systemd (system)"))
                    .isInstanceOf(OrchestratorException.class)
                    .hasMessageContaining("no systemd manager answers")
                    .extracting(e -> ((OrchestratorException) e).reason())
                    .isEqualTo(OrchestratorException.Reason.ENGINE_UNAVAILABLE);
        }
    }

    @Test
    void theLocatorSkipsABusWithoutTheUnitAndSaysWhy() throws Exception {
        try (DbusDaemon empty = DbusDaemon.start()) {
            SystemdLocator locator = SystemdLocator.standard(Map.of(
                    "DBUS_SESSION_BUS_ADDRESS", empty.address(), "DBUS_SYSTEM_BUS_ADDRESS", bus.address()));
            try (SystemdUnits found = locator.withUnit("1bit-proxy.service").orElseThrow()) {
                assertThat(found.describe()).isEqualTo("systemd (system)");
            }
            assertThat(locator.skipped()).singleElement().asString().startsWith("systemd --user at " + empty.address());
            assertThat(SystemdLocator.standard(Map.of("DBUS_SYSTEM_BUS_ADDRESS", bus.address(), "ONEBIT_SYSTEMD", "none"))
                    .withUnit("1bit-proxy.service")).isEmpty();
        }
    }
}
