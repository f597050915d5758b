package systems.onebit.orchestrator.pull;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.LongConsumer;

/**
 * A file fetched as pieces over several connections at once, yet written and hashed strictly in order: workers read
 * pieces into pooled buffers, and the caller's thread appends each piece as soon as the ones before it are in. So
 * the partial file on disk is always a plain prefix (huggingface_hub and a later pull resume it by its size), the
 * sha256 sees every byte once as it arrives, and memory stays bounded at two pieces per connection.
 */
final class PieceDownload {

    /** @param connections parallel ranges; @param pieceBytes size of each range request */
    record Settings(int connections, int pieceBytes, Duration timeout) {
        static Settings defaults() {
            return new Settings(4, 8 << 20, Duration.ofSeconds(30));
        }
    }

    private final Settings settings;

    PieceDownload(Settings settings) {
        this.settings = settings;
    }

    Settings settings() {
        return settings;
    }

    /**
     * Appends bytes {@code have}..{@code size} of {@code target} to {@code out}, feeding {@code sha} in order;
     * {@code progress} gets the bytes on disk after each piece. Whatever arrived in order before a failure is
     * written before the exception.
     */
    void run(URI target, long have, long size, OutputStream out, MessageDigest sha, LongConsumer progress)
            throws IOException, InterruptedException {
        long pieces = (size - have + settings.pieceBytes() - 1) / settings.pieceBytes();
        if (pieces <= 0) {
            return;
        }
        int workers = (int) Math.min(settings.connections(), pieces);
        State state = new State(pieces, 2 * workers, settings.pieceBytes());
        List<HttpLite> readers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            HttpLite reader = new HttpLite(settings.timeout());
            readers.add(reader);
            threads.add(Thread.ofPlatform().daemon().name("1bit-pull-range-" + w).start(() ->
                    work(state, reader, target, have, size)));
        }
        long written = have;
        try {
            for (long i = 0; i < pieces; i++) {
                byte[] piece = state.await(i);
                int length = (int) Math.min(settings.pieceBytes(), size - written);
                out.write(piece, 0, length);
                sha.update(piece, 0, length);
                written += length;
                state.release(piece);
                progress.accept(written);
            }
        } finally {
            state.stop();
            readers.forEach(HttpLite::close);  // ends reads still blocked on a socket
            for (Thread t : threads) {
                t.join();
            }
        }
    }

    private void work(State state, HttpLite reader, URI target, long have, long size) {
        try {
            while (true) {
                // The buffer first, then the piece: a claimed piece always has a buffer, so the next one to write is
                // always being fetched and the window cannot fill up with later pieces.
                byte[] buffer = state.buffer();
                long i = state.claim();
                if (i < 0) {
                    state.release(buffer);
                    return;
                }
                long from = have + i * settings.pieceBytes();
                int length = (int) Math.min(settings.pieceBytes(), size - from);
                int status = reader.readRange(target, from, length, buffer);
                if (status != 206) {
                    throw new IOException("the storage answered " + status + " to a range request");
                }
                state.arrived(i, buffer);
            }
        } catch (IOException e) {
            state.fail(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            reader.close();
        }
    }

    /** Which pieces are claimed and arrived, the buffer pool that bounds memory, and the first failure. */
    private static final class State {
        private final long pieces;
        private final BlockingQueue<byte[]> pool;
        private final java.util.Map<Long, byte[]> arrived = new java.util.HashMap<>();
        private long next;
        private boolean stopped;
        private IOException failure;

        State(long pieces, int buffers, int pieceBytes) {
            this.pieces = pieces;
            this.pool = new ArrayBlockingQueue<>(buffers);
            for (int b = 0; b < buffers; b++) {
                pool.add(new byte[pieceBytes]);
            }
        }

        /** A free buffer; waits while every buffer holds a piece not yet written (the window is full). */
        byte[] buffer() throws InterruptedException, IOException {
            while (true) {
                byte[] b = pool.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (b != null) {
                    return b;
                }
                synchronized (this) {
                    if (stopped) {
                        throw new IOException("stopped");
                    }
                }
            }
        }

        synchronized long claim() {
            return stopped || next >= pieces ? -1 : next++;
        }

        synchronized void arrived(long index, byte[] buffer) {
            arrived.put(index, buffer);
            notifyAll();
        }

        synchronized void fail(IOException e) {
            if (failure == null && !stopped) {
                failure = e;
            }
            notifyAll();
        }

        synchronized byte[] await(long index) throws IOException, InterruptedException {
            while (!arrived.containsKey(index)) {
                if (failure != null) {
                    throw failure;
                }
                wait();
            }
            return arrived.remove(index);
        }

        void release(byte[] buffer) {
            pool.add(buffer);
        }

        synchronized void stop() {
            stopped = true;
            notifyAll();
        }
    }
}
