package systems.onebit.cli.apps;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import systems.onebit.cli.CliContext;
import systems.onebit.cli.ExitCode;
import systems.onebit.cli.Output;
import systems.onebit.orchestrator.apps.LocalApp;
import systems.onebit.orchestrator.apps.LocalApps;
import systems.onebit.orchestrator.probe.HttpProbe;

/**
 * {@code webui status} and {@code gaia status}: what is installed, whether it runs, which URL to give it. Each
 * subclass names its app, its health path, the setting that takes the base URL and how to install it.
 */
abstract class AppStatus implements java.util.concurrent.Callable<Integer> {

    @picocli.CommandLine.Option(names = "--json",
            description = "Print {name, installed, installedAt, how, running, pid, url, health, baseUrl, baseUrlHealth, setting}.")
    boolean json;

    final CliContext context;

    AppStatus(CliContext context) {
        this.context = context;
    }

    abstract LocalApp app(LocalApps apps, URI proxy);

    abstract String healthPath();

    abstract String setting();

    abstract String installHint();

    @Override
    public Integer call() {
        LocalApp app = app(new LocalApps(context.env(), context.host()), context.registry().read().proxyUrl());
        return print(context, app, healthPath(), setting(), installHint(), json);
    }

    /**
     * Prints the report; exit 0 when installed and running (and, for an app with a URL, answering), 11 when installed
     * but not running or not answering, 3 when not installed.
     */
    private static int print(CliContext context, LocalApp app, String healthPath, String setting, String installHint, boolean json) {
        Duration timeout = Duration.ofMillis(700);
        HttpProbe.Result own = app.url().isEmpty() ? null : HttpProbe.get(URI.create(app.url()), healthPath, timeout);
        HttpProbe.Result base = HttpProbe.get(app.baseUrl(), app.baseUrl().getPath() + "/models", timeout);
        ExitCode code = !app.installed() ? ExitCode.NOT_FOUND
                : app.running() && (own == null || own.ok()) ? ExitCode.OK : ExitCode.DOWN;
        Output out = new Output(context.out(), context.env());
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("name", app.name());
            doc.put("installed", app.installed());
            doc.put("installedAt", app.installedAt());
            doc.put("how", app.how());
            doc.put("running", app.running());
            doc.put("pid", app.pid());
            doc.put("url", app.url());
            doc.put("health", own == null ? "" : own.health());
            doc.put("baseUrl", app.baseUrl().toString());
            doc.put("baseUrlHealth", base.health());
            doc.put("setting", setting + "=" + app.baseUrl());
            out.json(doc);
            return code.code();
        }
        out.table(List.of(List.of("FIELD", "VALUE"),
                List.of("installed", app.installed() ? app.installedAt() + " (" + app.how() + ")" : "no"),
                List.of("running", app.running() ? "yes (pid " + app.pid() + ")" : "no"),
                List.of("url", app.url().isEmpty() ? "- (desktop app)" : app.url() + " (" + own.health() + ")"),
                List.of("base url", app.baseUrl() + " (" + (base.ok() ? "1bit proxy answers" : "proxy " + base.health()) + ")")));
        out.line("configure it with: " + setting + "=" + app.baseUrl());
        if (!app.installed()) {
            context.err().println("1bit: " + app.name() + " is not installed: " + installHint);
        }
        return code.code();
    }
}
