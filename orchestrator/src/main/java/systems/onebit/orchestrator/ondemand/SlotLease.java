package systems.onebit.orchestrator.ondemand;

/** A request's hold on a ready backend: its slot counts the request in flight (and is not evicted) until closed. */
final class SlotLease implements OnDemandModels.Lease {

    private final ModelSlots table;
    private final ModelSlots.Slot slot;
    private final RunningModel running;
    private final Runnable recheck;
    private boolean closed;

    /** @param recheck checks the backend at once and starts its restart when it is dead */
    SlotLease(ModelSlots table, ModelSlots.Slot slot, RunningModel running, Runnable recheck) {
        this.table = table;
        this.slot = slot;
        this.running = running;
        this.recheck = recheck;
    }

    @Override
    public RunningModel backend() {
        return running;
    }

    @Override
    public int slots() {
        return slot.entry.parallel();
    }

    /**
     * The request failed before it sent anything to its client: checks the backend at once, and if it is dead
     * starts its restart, so that a retried acquire waits for the new one.
     */
    @Override
    public void failed() {
        recheck.run();
    }

    @Override
    public void close() {
        table.locked(() -> {
            if (!closed) {
                closed = true;
                slot.inFlight--;
                slot.lastUsed = System.nanoTime();
                table.changed.signalAll();
            }
        });
    }
}
