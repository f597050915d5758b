package systems.onebit.cli.apps;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import systems.onebit.cli.CliContext;
import systems.onebit.orchestrator.stack.Lane;
import systems.onebit.orchestrator.lanes.Lanes;
import systems.onebit.cli.lanes.LaneDown;
import systems.onebit.cli.ExitException;
import systems.onebit.cli.lanes.LaneLogs;
import systems.onebit.cli.lanes.LaneUp;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.apps.LocalApp;
import systems.onebit.orchestrator.apps.LocalApps;

@Command(name = "gaia", mixinStandardHelpOptions = true, description = "AMD GAIA on this host, pointed at the proxy's /api/v1.",
        subcommands = {GaiaCommand.Status.class, GaiaCommand.Up.class, GaiaCommand.Down.class, GaiaCommand.Logs.class})
public final class GaiaCommand {

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = {"Start GAIA's Agent UI (`gaia --ui --ui-port PORT --base-url PROXY/api/v1`, with LEMONADE_BASE_URL "
                    + "the same) as a detached process, on the registry's port (4200) or the next free one, and enable it so "
                    + "`1bit up` starts it too. The port it got is printed.",
                    "Exit code 0 up; 3 GAIA not installed; 5 the AppImage only, or it did not come up."})
    public static final class Up extends LaneUp {
        @Option(names = "--port", paramLabel = "PORT", description = "The UI's port (default: the registry's, 4200).")
        Integer port;

        @Option(names = "--timeout", defaultValue = "120", paramLabel = "SECONDS", description = "How long it may take to answer (default ${DEFAULT-VALUE}).")
        int timeoutSeconds;

        public Up(CliContext context) {
            super(context);
        }

        @Override
        protected void validate() {
            if (port != null && (port < 1 || port > 65535)) {
                throw ExitException.usage("--port " + port + " is not a TCP port (1-65535)");
            }
        }

        @Override
        protected Registry enabled(Registry r) {
            return r.withApps(r.apps().withGaia(true, port != null ? port : r.apps().gaiaPort()));
        }

        @Override
        protected Lane lane(Lanes lanes, Registry registry) {
            return lanes.gaia(registry);
        }

        @Override
        protected Duration timeout() {
            return Duration.ofSeconds(timeoutSeconds);
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true, description = {"Stop GAIA's Agent UI and disable it in the registry.", "Exit code 0."})
    public static final class Down extends LaneDown {

        public Down(CliContext context) {
            super(context);
        }

        @Override
        protected Lane lane(Lanes lanes, Registry registry) {
            return lanes.gaia(registry);
        }

        @Override
        protected Registry disabled(Registry r) {
            return r.withApps(r.apps().withGaia(false, r.apps().gaiaPort()));
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true, description = "The last lines of GAIA's log (started by 1bit).")
    public static final class Logs implements Callable<Integer> {
        @Option(names = {"-n", "--lines"}, defaultValue = "100", paramLabel = "N", description = "Lines from the end (default ${DEFAULT-VALUE}).")
        int lines;

        private final CliContext context;

        public Logs(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            return LaneLogs.print(context, "gaia", lines);
        }
    }

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
