package systems.onebit.cli.apps;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import systems.onebit.cli.CliContext;

@Command(name = "gaia", mixinStandardHelpOptions = true, description = "AMD GAIA on this host.",
        subcommands = GaiaCommand.Status.class)
public final class GaiaCommand {

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Whether GAIA (AppImage or the gaia CLI in a venv) is installed and running, and the base URL "
                    + "it should use (the proxy's /api/v1).", "Exit code 0: running; 11: installed but not running; 3: not installed."})
    public static final class Status implements Callable<Integer> {

        @Option(names = "--json", description = "Print {name, installed, installedAt, how, running, pid, url, health, baseUrl, baseUrlHealth, setting}.")
        boolean json;

        private final CliContext context;

        public Status(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            return AppStatus.print(context, AppStatus.apps(context).gaia(AppStatus.proxyUrl(context)), "", "LEMONADE_BASE_URL",
                    "get the GAIA AppImage or `pip install amd-gaia` from https://github.com/amd/gaia", json);
        }
    }
}
