package systems.onebit.orchestrator;

import java.util.Objects;

/**
 * The one unchecked exception of the orchestrator. {@link #reason()} says which kind of failure it is (the CLI maps
 * it to an exit code); {@link #getMessage()} says what was wrong and {@link #hint()} what to do about it.
 */
public class OrchestratorException extends RuntimeException {

    /** Kinds of failure; each has one documented exit code in the CLI. */
    public enum Reason {
        INVALID_ARGUMENT,
        NOT_FOUND,
        CONFLICT,
        PRECONDITION,
        ENGINE_UNAVAILABLE,
        CONFIG_INVALID,
        TIMEOUT,
        ENGINE_ERROR,
        IO
    }

    private final Reason reason;
    private final String hint;

    public OrchestratorException(Reason reason, String message, String hint) {
        this(reason, message, hint, null);
    }

    public OrchestratorException(Reason reason, String message, String hint, Throwable cause) {
        super(Objects.requireNonNull(message), cause);
        this.reason = Objects.requireNonNull(reason);
        this.hint = hint == null ? "" : hint;
    }

    public Reason reason() {
        return reason;
    }

    /** What the user should do; empty when there is nothing useful to suggest. */
    public String hint() {
        return hint;
    }

    /** Message and hint on one line, as the CLI prints it. */
    public String oneLine() {
        return hint.isEmpty() ? getMessage() : getMessage() + ": " + hint;
    }

    public static OrchestratorException invalid(String message, String hint) {
        return new OrchestratorException(Reason.INVALID_ARGUMENT, message, hint);
    }

    public static OrchestratorException notFound(String message, String hint) {
        return new OrchestratorException(Reason.NOT_FOUND, message, hint);
    }

    public static OrchestratorException conflict(String message, String hint) {
        return new OrchestratorException(Reason.CONFLICT, message, hint);
    }

    public static OrchestratorException precondition(String message, String hint) {
        return new OrchestratorException(Reason.PRECONDITION, message, hint);
    }

    public static OrchestratorException configInvalid(String message, String hint) {
        return new OrchestratorException(Reason.CONFIG_INVALID, message, hint);
    }
}
