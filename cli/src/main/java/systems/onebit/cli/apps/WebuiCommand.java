package systems.onebit.cli.apps;

import java.net.URI;
import picocli.CommandLine.Command;
import systems.onebit.cli.CliContext;
import systems.onebit.orchestrator.apps.LocalApp;
import systems.onebit.orchestrator.apps.LocalApps;

@Command(name = "webui", mixinStandardHelpOptions = true, description = "Open WebUI on this host.",
        subcommands = WebuiCommand.Status.class)
public final class WebuiCommand {

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Whether Open WebUI is installed and running, its URL, and the base URL it should use "
                    + "(the proxy's /v1).", "Exit code 0: running and answering; 11: installed but down; 3: not installed."})
    public static final class Status extends AppStatus {

        public Status(CliContext context) {
            super(context);
        }

        @Override
        LocalApp app(LocalApps apps, URI proxy) {
            return apps.openWebUi(proxy);
        }

        @Override
        String healthPath() {
            return "/health";
        }

        @Override
        String setting() {
            return "OPENAI_API_BASE_URL";
        }

        @Override
        String installHint() {
            return "pipx install open-webui (or a venv), then install.sh sets up open-webui.service";
        }
    }
}
