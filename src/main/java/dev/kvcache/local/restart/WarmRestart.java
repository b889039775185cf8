package dev.kvcache.local.restart;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import dev.kvcache.snapshot.SegmentSink;
import dev.kvcache.local.SegmentStore;
import dev.kvcache.snapshot.LoadCutoff;
import dev.kvcache.snapshot.ReadResult;
import dev.kvcache.snapshot.SnapshotEntry;
import dev.kvcache.snapshot.Snapshots;
import dev.kvcache.snapshot.WriteSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the local store's content across restarts: at start, loads the snapshot of {@code kvcache.snapshot.dir}
 * (on a thread of its own, while readiness stays DOWN); at shutdown, once the web server has stopped and the
 * requests in flight are done, writes every live entry with its absolute expiry time into a new snapshot, and
 * with {@code kvcache.snapshot.interval} also periodically while serving. A bad file never stops the service:
 * it is logged, moved aside, and what verified before the defect is loaded. Its meters say when the last snapshot
 * was written and whether the last attempt failed.
 */
public final class WarmRestart implements AutoCloseable, MeterBinder {

    private static final Logger log = LoggerFactory.getLogger(WarmRestart.class);

    /**
     * The pace of periodic snapshots, in bytes of keys and values a second, so that they leave the requests most of
     * the disk and the CPU (the shutdown one goes at full speed).
     */
    static final long PERIODIC_BYTES_PER_SECOND = 100_000_000;

    private final SegmentStore store;
    private final Path directory;
    private final Duration interval;
    private final ScheduledExecutorService executor;
    /** The start-up load is over, however it went: the store can serve. */
    private volatile boolean loaded;
    /** The start-up load ran to its end (not cut short by a shutdown): the store may replace the snapshot. */
    private volatile boolean restored;
    private volatile boolean closing;
    /** When the last snapshot was written, and when a write last failed: epoch milliseconds, 0 for not yet. */
    private volatile long lastSuccessMillis;
    private volatile long lastFailureMillis;

    public WarmRestart(SegmentStore store, Path directory, Duration interval) {
        this.store = store;
        this.directory = directory;
        this.interval = interval;
        this.executor = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "kvcache-snapshot");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** No snapshots ({@code kvcache.snapshot.dir} unset): nothing to load, nothing to write. */
    public static WarmRestart disabled(SegmentStore store) {
        WarmRestart none = new WarmRestart(store, null, Duration.ZERO);
        none.loaded = true;
        return none;
    }

    /** Starts loading the snapshot, then the periodic snapshots if an interval is set. */
    public void start() {
        if (directory == null) {
            return;
        }
        executor.execute(this::load);
        if (!interval.isZero()) {
            long millis = interval.toMillis();
            executor.scheduleWithFixedDelay(() -> {
                if (restored) {
                    write("Periodic snapshot", PERIODIC_BYTES_PER_SECOND);
                }
            }, millis, millis, TimeUnit.MILLISECONDS);
        }
    }

    /** True once the snapshot is loaded (or there was none, or it could not be read): the store can serve. */
    public boolean loaded() {
        return loaded;
    }

    /**
     * {@code kvcache.snapshot.last.success} and {@code kvcache.snapshot.last.failure} (when the last snapshot was
     * written, and when a write last failed; 0 for not yet) and {@code kvcache.snapshot.interval}: a failure newer
     * than the last success, or a success older than a few intervals, is what an operator is alerted to. None without
     * snapshots.
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        if (directory == null) {
            return;
        }
        TimeGauge.builder("kvcache.snapshot.last.success", this, TimeUnit.MILLISECONDS, w -> w.lastSuccessMillis)
                .description("When the last snapshot was written, as a Unix time; 0 before the first")
                .register(registry);
        TimeGauge.builder("kvcache.snapshot.last.failure", this, TimeUnit.MILLISECONDS, w -> w.lastFailureMillis)
                .description("When a snapshot last failed to be written, as a Unix time; 0 if none has")
                .register(registry);
        TimeGauge.builder("kvcache.snapshot.interval", interval, TimeUnit.MILLISECONDS, Duration::toMillis)
                .description("kvcache.snapshot.interval: how often a snapshot is written while serving; 0 for only at "
                        + "shutdown")
                .register(registry);
    }

    /** Writes the shutdown snapshot, unless the start-up load never finished (its file must not be replaced). */
    @Override
    public void close() {
        if (directory == null) {
            executor.shutdownNow();
            return;
        }
        closing = true;
        executor.shutdownNow(); // a load or a periodic snapshot under way is cut short, leaving the file as it was
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        if (!restored) {
            log.warn("Shutdown snapshot not written: the snapshot loaded at start-up was not complete yet, so {} "
                    + "is left as it was", Snapshots.fileIn(directory));
            return;
        }
        write("Shutdown snapshot", Long.MAX_VALUE);
    }

    private void load() {
        try {
            Path file = Snapshots.fileIn(directory);
            long started = System.nanoTime();
            if (Snapshots.versionOf(file) == 1) {
                loadEntries(file, started); // written by a build before the segments: entry by entry
            }
            else {
                loadSegments(file, started);
            }
        }
        catch (RuntimeException ex) {
            log.warn("Could not load the snapshot in {}: {}; serving what was loaded", directory, ex.toString());
            restored = !closing;
        }
        finally {
            loaded = true;
        }
    }

    /**
     * Loads a snapshot of segments: each is restored whole on this thread, its entries appended to a segment and
     * filed in the index as they come, one pass over the file. A file that holds blocks of entries instead (as tests
     * write them) loads those entry by entry.
     */
    private void loadSegments(Path file, long started) {
        SegmentStore.Restore restore = store.restoring();
        long[] counts = new long[3]; // entries, characters and expired ones, of blocks of entries
        long now = System.currentTimeMillis();
        ReadResult read;
        try (Restorer restorer = new Restorer(store)) {
            read = Snapshots.read(file, (SnapshotEntry entry) -> {
                if (entry.expiredAt(now)) {
                    counts[2]++;
                }
                else {
                    restorer.add(entry.key(), entry.value(), entry.expiresAtEpochMillis());
                    counts[0]++;
                    counts[1] += entry.keyLength() + entry.valueLength();
                }
            }, restore::add);
        }
        restore.finish();
        if (read.status() == ReadResult.Status.MISSING) {
            log.info("No snapshot in {}: starting empty", directory);
            restored = true;
            return;
        }
        log.info("Loaded {} entries ({} bytes of keys and values) from {} in {} ms; skipped {} expired{}",
                restore.entries() + counts[0], restore.chars() + counts[1], file,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), restore.expired() + counts[2],
                restore.full() ? "; left out the oldest, which did not fit the budget" : "");
        finishLoad(read);
    }

    /** Loads a snapshot of blocks of entries (version 1), keeping the newest that fit the budget. */
    private void loadEntries(Path file, long started) {
        // One pass for the write marks: what fits the budget (the newest).
        LoadCutoff fit = Snapshots.findCutoff(file, store.restorableBytes(), System.currentTimeMillis(),
                store::weigh);
        long[] counts = new long[3]; // entries, bytes, expired
        long now = System.currentTimeMillis();
        ReadResult read;
        try (Restorer restorer = new Restorer(store)) {
            read = Snapshots.read(file, (SnapshotEntry entry) -> {
                if (entry.expiredAt(now)) {
                    counts[2]++;
                }
                else if (fit.keeps(entry.writeMark())) {
                    restorer.add(entry.key(), entry.value(), entry.expiresAtEpochMillis());
                    counts[0]++;
                    counts[1] += entry.keyLength() + entry.valueLength();
                }
            });
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        log.info("Loaded {} entries ({} bytes of keys and values) from {}, a snapshot of version 1, in {} ms; skipped"
                + " {} expired{}", counts[0], counts[1], file, millis, counts[2], fit.leftOutEntries() == 0 ? ""
                        : String.format("; left out the %d oldest (%d bytes as weighed), which did not fit the "
                                + "budget", fit.leftOutEntries(), fit.leftOutWeight()));
        finishLoad(read);
    }

    private void finishLoad(ReadResult read) {
        if (closing) {
            return; // cut short by the shutdown: the file is not to blame
        }
        if (read.defective()) {
            setAside(read);
        }
        restored = true;
    }

    /** A sink that sleeps whenever it is ahead of the given rate. */
    private static SegmentSink paced(SegmentSink sink, long bytesPerSecond, long started) {
        long[] bytes = new long[1];
        return (entries, count, kind, ttlClass, lastMark) -> {
            bytes[0] += entries.remaining();
            sink.addSegment(entries, count, kind, ttlClass, lastMark);
            long ahead = bytes[0] * 1_000_000_000L / bytesPerSecond - (System.nanoTime() - started);
            if (ahead > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(ahead);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("snapshot interrupted");
                }
            }
        };
    }

    /**
     * Puts restored entries into the store on other threads, in batches, while the reading thread verifies and
     * copies the next ones: inserting is most of a load's work, and it runs on every core but one.
     */
    private static final class Restorer implements AutoCloseable {

        private static final int BATCH = 1024;

        private final SegmentStore store;
        private final ExecutorService inserters;
        private final Semaphore batchesInFlight;
        private Batch batch = new Batch();

        /** Entries read, to be restored together. */
        private static final class Batch {

            final byte[][] keys = new byte[BATCH][];
            final byte[][] values = new byte[BATCH][];
            final long[] expiries = new long[BATCH];
            int size;
        }

        Restorer(SegmentStore store) {
            this.store = store;
            int threads = Runtime.getRuntime().availableProcessors();
            this.inserters = Executors.newFixedThreadPool(threads, task -> {
                Thread thread = new Thread(task, "kvcache-snapshot-restore");
                thread.setDaemon(true);
                return thread;
            });
            this.batchesInFlight = new Semaphore(4 * threads); // bounds what is read ahead of the inserts
        }

        void add(byte[] key, byte[] value, long expiresAtEpochMillis) {
            int i = batch.size++;
            batch.keys[i] = key;
            batch.values[i] = value;
            batch.expiries[i] = expiresAtEpochMillis;
            if (batch.size == BATCH) {
                flush();
            }
        }

        private void flush() {
            Batch full = batch;
            try {
                batchesInFlight.acquire();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while restoring the snapshot", ex);
            }
            inserters.execute(() -> {
                try {
                    for (int i = 0; i < full.size; i++) {
                        store.restore(full.keys[i], full.values[i], full.expiries[i]);
                    }
                }
                finally {
                    batchesInFlight.release();
                }
            });
            batch = new Batch();
        }

        /** Inserts what is left and waits for every batch. */
        @Override
        public void close() {
            try {
                if (batch.size > 0) {
                    flush();
                }
            }
            finally {
                inserters.shutdown();
                try {
                    inserters.awaitTermination(1, TimeUnit.HOURS);
                }
                catch (InterruptedException ex) {
                    inserters.shutdownNow();
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private void setAside(ReadResult read) {
        try {
            Path aside = Snapshots.moveAside(read.file());
            log.warn("Snapshot {} is defective: {}; loaded the {} entries verified before the defect and moved the "
                    + "file to {}", read.file(), read.problem(), read.entries(), aside);
        }
        catch (IOException ex) {
            log.warn("Snapshot {} is defective: {}; loaded the {} entries verified before the defect, and could not "
                    + "move it aside: {}", read.file(), read.problem(), read.entries(), ex.toString());
        }
    }

    /**
     * Writes a snapshot, at most {@code bytesPerSecond} of keys and values: a periodic snapshot at full speed takes a
     * core for a second or two and the requests' p99 with it; paced, it takes longer and them less.
     */
    private void write(String what, long bytesPerSecond) {
        long started = System.nanoTime();
        try {
            WriteSummary written = Snapshots.writeSegments(directory, sink -> store.writeSegmentsTo(
                    bytesPerSecond == Long.MAX_VALUE ? sink : paced(sink, bytesPerSecond, started)));
            log.info("{}: {} entries ({} bytes of segments) written to {} in {} ms", what, written.entries(),
                    written.entryBytes(), written.file(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            lastSuccessMillis = System.currentTimeMillis();
        }
        catch (IOException | RuntimeException ex) {
            lastFailureMillis = System.currentTimeMillis();
            log.error("{} failed, the previous snapshot is left as it was: {}", what, ex.toString());
        }
    }
}
