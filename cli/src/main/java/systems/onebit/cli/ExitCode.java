package systems.onebit.cli;

import systems.onebit.orchestrator.OrchestratorException;

/** The documented exit codes of {@code 1bit} (README.md, "Exit codes"). */
public enum ExitCode {
    OK(0, "success"),
    FAILURE(1, "unexpected internal error"),
    USAGE(2, "bad command line: unknown option, missing argument, unknown flavor, invalid name"),
    NOT_FOUND(3, "no such toolbox, backend or model file"),
    CONFLICT(4, "name or port already in use; container running when it must not be"),
    PRECONDITION(5, "host or input not suitable: missing device, unreadable model, image absent, not running"),
    ENGINE_UNAVAILABLE(6, "Podman missing or its socket not answering"),
    CONFIG_INVALID(7, "malformed manifest or registry file (never overwritten)"),
    TIMEOUT(8, "a backend did not become healthy in time"),
    PARTIAL(9, "a command given several names failed for some of them (see the per-name lines)"),
    DEGRADED(10, "status/doctor: some components unhealthy or some checks failed"),
    DOWN(11, "status: no component healthy"),
    IO(12, "a file could not be read or written");

    private final int code;
    private final String meaning;

    ExitCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    public int code() {
        return code;
    }

    public String meaning() {
        return meaning;
    }

    /**
     * The code of a command given several items ({@code stop a b c}, {@code up}): OK when none failed; the failure's
     * own code when every item failed alike; PARTIAL otherwise.
     */
    public static ExitCode combine(java.util.List<OrchestratorException> failures, int items) {
        if (failures.isEmpty()) {
            return OK;
        }
        java.util.Set<ExitCode> kinds = failures.stream().map(f -> of(f.reason()))
                .collect(java.util.stream.Collectors.toSet());
        return failures.size() == items && kinds.size() == 1 ? kinds.iterator().next() : PARTIAL;
    }

    public static ExitCode of(OrchestratorException.Reason reason) {
        return switch (reason) {
            case INVALID_ARGUMENT -> USAGE;
            case NOT_FOUND -> NOT_FOUND;
            case CONFLICT -> CONFLICT;
            case PRECONDITION -> PRECONDITION;
            case ENGINE_UNAVAILABLE -> ENGINE_UNAVAILABLE;
            case CONFIG_INVALID -> CONFIG_INVALID;
            case TIMEOUT -> TIMEOUT;
            case ENGINE_ERROR -> FAILURE;
            case IO -> IO;
        };
    }
}
