package systems.onebit.cli.apps;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import systems.onebit.cli.CliContext;

@Command(name = "webui", mixinStandardHelpOptions = true, description = "Open WebUI on this host.",
        subcommands = WebuiCommand.Status.class)
public final class WebuiCommand {

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Whether Open WebUI is installed and running, its URL, and the base URL it should use "
                    + "(the proxy's /v1).", "Exit code 0: running and answering; 11: installed but down; 3: not installed."})
    public static final class Status implements Callable<Integer> {

        @Option(names = "--json", description = "Print {name, installed, installedAt, how, running, pid, url, health, baseUrl, baseUrlHealth, setting}.")
        boolean json;

        private final CliContext context;

        public Status(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            return AppStatus.print(context, AppStatus.apps(context).openWebUi(AppStatus.proxyUrl(context)), "/health",
                    "OPENAI_API_BASE_URL", "pipx install open-webui (or a venv), then install.sh sets up open-webui.service", json);
        }
    }
}
