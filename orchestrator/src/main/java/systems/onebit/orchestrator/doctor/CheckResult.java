package systems.onebit.orchestrator.doctor;

/** The outcome of one host check; {@code fix} is the command or change that fixes it (empty when ok). */
public record CheckResult(String id, Status status, String detail, String fix) {

    public enum Status {
        OK, WARN, FAIL;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public static CheckResult ok(String id, String detail) {
        return new CheckResult(id, Status.OK, detail, "");
    }

    public static CheckResult warn(String id, String detail, String fix) {
        return new CheckResult(id, Status.WARN, detail, fix);
    }

    public static CheckResult fail(String id, String detail, String fix) {
        return new CheckResult(id, Status.FAIL, detail, fix);
    }
}
