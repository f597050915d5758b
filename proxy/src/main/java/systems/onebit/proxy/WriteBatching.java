package systems.onebit.proxy;

/**
 * Lets the other runnable virtual threads reach their own socket writes first, so that writes which wake another
 * process leave the carrier back to back. A write to a socket whose reader sleeps wakes that reader, and when the
 * reader's CPU has gone idle the wake-up is an inter-processor interrupt (on a virtual machine, an exit to the
 * host): taken one request at a time, nearly every write paid it. In a row, the first write wakes the reader and the
 * rest find it running, as an event loop's writes do. Measured with an instant backend on 2 CPUs (bench/instant.sh):
 * 0.65 → 0.05 wake-up interrupts per request at 64 connections, proxy CPU per request 26 → 22 µs. A lone request
 * finds nothing else runnable and goes on at once.
 */
final class WriteBatching {

    private WriteBatching() {
    }

    /** Called before a write that wakes another process (the backend's request, a whole answer to the client). */
    static void othersFirst() {
        if (Thread.currentThread().isVirtual()) {
            Thread.yield();
        }
    }
}
