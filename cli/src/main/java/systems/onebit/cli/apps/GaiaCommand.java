package systems.onebit.cli.apps;

import java.net.URI;
import picocli.CommandLine.Command;
import systems.onebit.cli.CliContext;
import systems.onebit.orchestrator.apps.LocalApp;
import systems.onebit.orchestrator.apps.LocalApps;

@Command(name = "gaia", mixinStandardHelpOptions = true, description = "AMD GAIA on this host.",
        subcommands = GaiaCommand.Status.class)
public final class GaiaCommand {

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Whether GAIA (AppImage or the gaia CLI in a venv) is installed and running, and the base URL "
                    + "it should use (the proxy's /api/v1).", "Exit code 0: running; 11: installed but not running; 3: not installed."})
    public static final class Status extends AppStatus {

        public Status(CliContext context) {
            super(context);
        }

        @Override
        LocalApp app(LocalApps apps, URI proxy) {
            return apps.gaia(proxy);
        }

        @Override
        String healthPath() {
            return "";
        }

        @Override
        String setting() {
            return "LEMONADE_BASE_URL";
        }

        @Override
        String installHint() {
            return "get the GAIA AppImage or `pip install amd-gaia` from https://github.com/amd/gaia";
        }
    }
}
