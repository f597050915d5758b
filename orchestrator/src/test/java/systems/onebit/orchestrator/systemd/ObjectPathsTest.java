package systems.onebit.orchestrator.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Expected values are what `busctl tree org.freedesktop.systemd1` shows for these units on a real systemd. */
class ObjectPathsTest {

    @Test
    void escapesLikeSystemd() {
        assertThat(ObjectPaths.escape("dbus.service")).isEqualTo("dbus_2eservice");
        assertThat(ObjectPaths.escape("1bit-proxy.service")).isEqualTo("_31bit_2dproxy_2eservice");
        assertThat(ObjectPaths.escape("1bit-toolbox@llama.service")).isEqualTo("_31bit_2dtoolbox_40llama_2eservice");
        assertThat(ObjectPaths.escape("open-webui.service")).isEqualTo("open_2dwebui_2eservice");
        assertThat(ObjectPaths.escape("")).isEqualTo("_");
        assertThat(ObjectPaths.unit("1bit-stack.target")).isEqualTo("/org/freedesktop/systemd1/unit/_31bit_2dstack_2etarget");
    }
}
