package systems.onebit.orchestrator.apps;

import java.net.URI;

/**
 * What 1bit knows about an app that uses the proxy: whether and where it is installed, whether it runs, its own URL
 * (none for a desktop app) and the base URL it should be given.
 *
 * @param installedAt where it was found ("" when not installed)
 * @param how         "appimage", "venv", "path", "systemd unit"… ("" when not installed)
 * @param pid         a running process of it, 0 when none
 */
public record LocalApp(String name, String installedAt, String how, long pid, String url, URI baseUrl) {

    public boolean installed() {
        return !installedAt.isEmpty();
    }

    public boolean running() {
        return pid > 0;
    }
}
