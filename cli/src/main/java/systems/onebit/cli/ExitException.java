package systems.onebit.cli;

/** Ends a command with a documented exit code and a one-line message (empty: nothing more to print). */
public final class ExitException extends RuntimeException {

    private final ExitCode code;

    private ExitException(ExitCode code, String message) {
        super(message);
        this.code = code;
    }

    public ExitCode code() {
        return code;
    }

    public static ExitException usage(String message) {
        return new ExitException(ExitCode.USAGE, message);
    }

    /** Exit with {@code code}; the command has already printed what happened. */
    public static ExitException silent(ExitCode code) {
        return new ExitException(code, "");
    }

    public static ExitException of(ExitCode code, String message) {
        return new ExitException(code, message);
    }
}
