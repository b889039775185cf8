package dev.kvcache.snapshot;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.IntBinaryOperator;

/**
 * Writes, reads and sets aside the snapshot {@code kv-cache.snapshot} of a directory; the format is described in
 * {@code package-info.java}. For a warm restart: {@link #write} at shutdown or periodically; at start
 * {@link #read}, with {@link #findCutoff} first when the budget may be smaller than the snapshot, and
 * {@link #moveAside} when the read says the file is defective.
 */
public final class Snapshots {

    public static final String FILE_NAME = "kv-cache.snapshot";
    static final String TEMPORARY_FILE_NAME = FILE_NAME + ".tmp";
    /** Held while a snapshot is written, so that two writers never share the temporary file. */
    static final String LOCK_FILE_NAME = FILE_NAME + ".lock";
    private static final String CORRUPT_SUFFIX = ".corrupt-";
    /** Writers in this JVM (a periodic snapshot and the shutdown one) take turns; the file lock is per process. */
    private static final ReentrantLock WRITING = new ReentrantLock();
    private static final DateTimeFormatter MOVED_ASIDE_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    private Snapshots() {
    }

    /** Where the snapshot of this directory lives. */
    public static Path fileIn(Path directory) {
        return directory.resolve(FILE_NAME);
    }

    static Path temporaryFileIn(Path directory) {
        return directory.resolve(TEMPORARY_FILE_NAME);
    }

    /**
     * Writes every entry the source hands to its sink into a new snapshot of the directory (created if needed),
     * then replaces the previous snapshot with it in one atomic rename, after forcing it to disk. The file is
     * streamed: the source may iterate a live map, nothing is collected in memory.
     *
     * A write started while another thread of this JVM writes waits for it; a write started while another
     * process writes to the same directory fails.
     *
     * @throws IOException naming the file and carrying the cause (disk full, directory not writable, thread
     *     interrupted, another process writing, or the source's own IOException); the temporary file is deleted
     *     then, and the previous snapshot is left as it was
     */
    public static WriteSummary write(Path directory, EntrySource source) throws IOException {
        return write(directory, source, SnapshotFormat.MAX_BLOCK_DATA);
    }

    static WriteSummary write(Path directory, EntrySource source, int blockDataLimit) throws IOException {
        return writeNew(directory, blockDataLimit, source::writeTo);
    }

    /**
     * Writes every segment the source hands to its sink into a new snapshot of the directory, as {@link #write}
     * writes entries: streamed, forced to disk, then renamed over the previous snapshot.
     */
    public static WriteSummary writeSegments(Path directory, SegmentSource source) throws IOException {
        return writeNew(directory, SnapshotFormat.MAX_BLOCK_DATA, source::writeTo);
    }

    /** What fills a new snapshot: entries or segments. */
    private interface Contents {
        void writeTo(SnapshotWriter writer) throws IOException;
    }

    /** A new snapshot of the directory, under the lock, filled by the contents, then committed. */
    private static WriteSummary writeNew(Path directory, int blockDataLimit, Contents contents) throws IOException {
        WRITING.lock();
        try {
            Files.createDirectories(directory);
            try (FileChannel lockFile = FileChannel.open(directory.resolve(LOCK_FILE_NAME),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = lockOrFail(lockFile);
                    SnapshotWriter writer = SnapshotWriter.open(directory, blockDataLimit)) {
                contents.writeTo(writer);
                return writer.commit();
            }
        }
        catch (IOException ex) {
            throw new IOException("Could not write the snapshot " + fileIn(directory) + ": " + ex, ex);
        }
        finally {
            WRITING.unlock();
        }
    }

    private static FileLock lockOrFail(FileChannel lockFile) throws IOException {
        FileLock lock;
        try {
            lock = lockFile.tryLock();
        }
        catch (OverlappingFileLockException ex) {
            lock = null; // held through another channel of this JVM, as another process would
        }
        if (lock == null) {
            throw new IOException("another process is writing a snapshot in this directory");
        }
        return lock;
    }

    /**
     * Reads a snapshot, handing each entry of each verified block to the consumer, and says how it ended. Never
     * throws for a bad file: a missing file is {@link ReadResult.Status#MISSING}; a truncated, damaged, foreign
     * or unreadable one is {@link ReadResult.Status#DEFECTIVE}, with the entries of the blocks verified before
     * the defect delivered and the problem named. No entry of a block that did not verify is ever delivered.
     * Exceptions thrown by the consumer reach the caller.
     */
    public static ReadResult read(Path file, Consumer<? super SnapshotEntry> consumer) {
        return SnapshotReader.read(file, consumer);
    }

    /**
     * Reads a snapshot as {@link #read(Path, Consumer)} does, also handing each verified segment to
     * {@code segments} (a file of version 1 has none).
     */
    public static ReadResult read(Path file, Consumer<? super SnapshotEntry> consumer,
            Consumer<? super SnapshotSegment> segments) {
        return SnapshotReader.read(file, consumer, segments);
    }

    /** The format version of a snapshot's header, or -1 if it has none that verifies (or there is no file). */
    public static int versionOf(Path file) {
        return SnapshotReader.versionOf(file);
    }

    /**
     * Finds, with one pass over the file, which of its live entries to load so that their weight fits the
     * budget: the most recently written ones. Holds 12 bytes per live entry meanwhile, no keys or values. A
     * defective file gives the cutoff over the entries {@link #read} would deliver from it.
     *
     * @param nowEpochMillis entries expired at this time count for nothing: the load skips them
     * @param weigher an entry's weight from its key's and value's lengths, as the store counts it
     */
    public static LoadCutoff findCutoff(Path file, long budget, long nowEpochMillis, IntBinaryOperator weigher) {
        return CutoffFinder.find(file, budget, nowEpochMillis, weigher);
    }

    /**
     * Renames a bad snapshot to {@code <name>.corrupt-<UTC time>} beside it, where it stays for a post-mortem:
     * it is never deleted or overwritten.
     *
     * @return the new path
     */
    public static Path moveAside(Path file) throws IOException {
        return moveAside(file, Clock.systemUTC());
    }

    static Path moveAside(Path file, Clock clock) throws IOException {
        String name = file.getFileName() + CORRUPT_SUFFIX + MOVED_ASIDE_TIME.format(clock.instant());
        for (int attempt = 0;; attempt++) {
            Path target = file.resolveSibling(attempt == 0 ? name : name + "-" + attempt);
            try {
                // Without REPLACE_EXISTING: an earlier bad file of the same millisecond stays.
                return Files.move(file, target);
            }
            catch (FileAlreadyExistsException ex) {
                if (attempt >= 100) {
                    throw ex;
                }
            }
        }
    }
}
