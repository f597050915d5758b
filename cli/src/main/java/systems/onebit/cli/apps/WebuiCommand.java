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
import systems.onebit.cli.ExitCode;
import systems.onebit.cli.ExitException;
import systems.onebit.cli.lanes.LaneLogs;
import systems.onebit.cli.lanes.LaneUp;
import systems.onebit.orchestrator.lanes.WebuiContainer;
import systems.onebit.orchestrator.registry.Registry;
import systems.onebit.orchestrator.apps.LocalApp;
import systems.onebit.orchestrator.apps.LocalApps;

@Command(name = "webui", mixinStandardHelpOptions = true, description = "Open WebUI on this host, pointed at the proxy.",
        subcommands = {WebuiCommand.Status.class, WebuiCommand.Up.class, WebuiCommand.Down.class, WebuiCommand.Logs.class,
                WebuiCommand.Open.class})
public final class WebuiCommand {

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = {"Start Open WebUI on http://127.0.0.1:3000 with OPENAI_API_BASE_URL the proxy's /v1 (and its key "
                    + "from ONEBIT_API_KEY when set), and enable it in the registry so `1bit up` starts it too. --mode "
                    + "container (default): the Podman image of toolbox-like manifest open-webui.yaml, host network, data "
                    + "in the volume 1bit-open-webui (kept by down and upgrades); --mode pip: an installed open-webui.",
                    "Exit code 0 up; 3 not installed (pip); 5 it did not come up."})
    public static final class Up extends LaneUp {
        @Option(names = "--mode", paramLabel = "MODE", description = "container or pip (default: the registry's, else container).")
        String mode;

        @Option(names = "--timeout", defaultValue = "300", paramLabel = "SECONDS", description = "How long it may take to answer (default ${DEFAULT-VALUE}).")
        int timeoutSeconds;

        public Up(CliContext context) {
            super(context);
        }

        @Override
        protected void validate() {
            if (mode != null && !mode.equals("container") && !mode.equals("pip")) {
                throw ExitException.usage("--mode " + mode + ": use container or pip");
            }
        }

        @Override
        protected Registry enabled(Registry r) {
            return r.withApps(r.apps().withWebui(true, mode != null ? mode : r.apps().webuiMode()));
        }

        @Override
        protected Lane lane(Lanes lanes, Registry registry) {
            return lanes.webui(registry);
        }

        @Override
        protected Duration timeout() {
            return Duration.ofSeconds(timeoutSeconds);
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = {"Stop Open WebUI (the container is removed, its data volume kept) and disable it in the registry.",
                    "Exit code 0."})
    public static final class Down extends LaneDown {

        public Down(CliContext context) {
            super(context);
        }

        @Override
        protected Lane lane(Lanes lanes, Registry registry) {
            return lanes.webui(registry);
        }

        @Override
        protected Registry disabled(Registry r) {
            return r.withApps(r.apps().withWebui(false, r.apps().webuiMode()));
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true, description = "Open WebUI's log: the container's, or the detached process's last lines.")
    public static final class Logs implements Callable<Integer> {
        @Option(names = {"-n", "--lines"}, defaultValue = "100", paramLabel = "N", description = "Lines from the end (default ${DEFAULT-VALUE}).")
        int lines;

        private final CliContext context;

        public Logs(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() {
            if (context.registry().read().apps().webuiMode().equals("container")) {
                context.engine().logs(WebuiContainer.CONTAINER, false, context.out(), context.err());
                return 0;
            }
            return LaneLogs.print(context, WebuiContainer.NAME, lines);
        }
    }

    @Command(name = "open", mixinStandardHelpOptions = true,
            description = "Print Open WebUI's URL; with --browser, open it with xdg-open.")
    public static final class Open implements Callable<Integer> {
        @Option(names = "--browser", description = "Open it in the desktop's browser (xdg-open).")
        boolean browser;

        private final CliContext context;

        public Open(CliContext context) {
            this.context = context;
        }

        @Override
        public Integer call() throws Exception {
            String url = "http://127.0.0.1:" + Registry.OPEN_WEBUI_PORT;
            context.out().println(url);
            if (browser) {
                // The URL is ours, not the user's, and goes as one argument: no shell.
                return new ProcessBuilder("xdg-open", url).inheritIO().start().waitFor() == 0 ? 0
                        : ExitCode.PRECONDITION.code();
            }
            return 0;
        }
    }

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
