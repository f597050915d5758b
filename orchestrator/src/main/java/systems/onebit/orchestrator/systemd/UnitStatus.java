package systems.onebit.orchestrator.systemd;

/** A unit's LoadState ("loaded", "not-found"…), ActiveState ("active", "inactive", "failed"…) and SubState. */
public record UnitStatus(String unit, String loadState, String activeState, String subState) {

    public boolean active() {
        return activeState.equals("active") || activeState.equals("reloading");
    }

    public boolean installed() {
        return !loadState.equals("not-found");
    }
}
