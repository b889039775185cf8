package dev.kvcache.local.segment;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * One segment of the log: a fixed stretch of off-heap memory that entries are appended to, one after another, and
 * that is emptied and reused whole. The object stands for its number ({@link #id}) for the life of the process;
 * each use of it from {@link #open} to {@link SegmentPool#free} is an <em>incarnation</em>, with a
 * {@link #generation} of its own and a {@link #key} of its own for the eviction policy.
 *
 * <p>Appending is lock-free: {@link #reserve} takes room with a compare-and-set on the top and counts the writer
 * in; the writer writes its entry, publishes it in the index and counts itself out ({@link #published}).
 * {@link #close} ends appending; {@link #awaitWriters} then waits for the writers still in, after which the segment's
 * bytes no longer change until it is freed.
 */
public final class Segment {

    /** What a segment holds. */
    public enum Kind {
        /** The newest writes, in write order (the recency share). */
        YOUNG,
        /** Entries read while young, or read again in main since they were last moved (the frequency share). */
        MAIN,
        /** Overflow buckets of the key index. */
        INDEX
    }

    /**
     * The states of an incarnation, in the low 2 bits of {@link #status} beside its sequence number: an incarnation
     * is drained once, and a claim meant for an earlier one fails.
     */
    static final int FREE = 0;
    static final int OPEN = 1;
    static final int SEALED = 2;
    static final int DRAINING = 3;
    private static final int STATE_BITS = 2;

    private static final int CLOSED = Integer.MAX_VALUE;
    private static final VarHandle TOP;
    private static final VarHandle WRITERS;
    private static final VarHandle MAX_EXPIRY;
    private static final VarHandle LAST_MARK;
    private static final VarHandle LIVE_BYTES;
    private static final VarHandle STATUS;

    static {
        try {
            var lookup = MethodHandles.lookup();
            TOP = lookup.findVarHandle(Segment.class, "top", int.class);
            WRITERS = lookup.findVarHandle(Segment.class, "writers", int.class);
            MAX_EXPIRY = lookup.findVarHandle(Segment.class, "maxExpiry", long.class);
            LAST_MARK = lookup.findVarHandle(Segment.class, "lastMark", long.class);
            LIVE_BYTES = lookup.findVarHandle(Segment.class, "liveBytes", long.class);
            STATUS = lookup.findVarHandle(Segment.class, "status", long.class);
        }
        catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** The segment's number: what the index's slots name. */
    public final int id;
    private final int capacity;
    private ByteBuffer buffer;

    /** Bumped (release) each time the segment is freed: a reader that saw it change read another incarnation. */
    private volatile int generation;
    /** The incarnation's sequence number and state (see {@link #SEALED}). */
    private volatile long status;
    private volatile int top;
    private volatile int writers;
    private int end;
    /** The latest expiry of its entries, as a {@code Ticker} time; {@link EntryLayout#NEVER} if one never does. */
    private volatile long maxExpiry;
    /** The newest write mark of its entries (see the store: bytes of entries written, counted at each put). */
    private volatile long lastMark;
    /** Bytes of its entries that the index still names. */
    private volatile long liveBytes;
    private Kind kind;
    private int ttlClass;
    private Long key;
    private long sequence;

    Segment(int id, int capacity) {
        this.id = id;
        this.capacity = capacity;
    }

    /** The segment's memory (little-endian), shared: use absolute gets and puts only. */
    public ByteBuffer buffer() {
        return buffer;
    }

    void allocate() {
        if (buffer == null) {
            buffer = ByteBuffer.allocateDirect(capacity).order(EntryLayout.ORDER);
        }
    }

    boolean allocated() {
        return buffer != null;
    }

    /** Starts an incarnation; {@code sequence} is unique to it, and orders incarnations by when they opened. */
    void open(Kind kind, int ttlClass, long sequence) {
        this.kind = kind;
        this.ttlClass = ttlClass;
        this.key = sequence;
        this.sequence = sequence;
        this.end = 0;
        this.maxExpiry = Long.MIN_VALUE;
        this.lastMark = 0;
        this.liveBytes = 0;
        // Not the writers' count: a writer holding this segment from its last incarnation may be counted in for
        // an instant (its reserve fails, as the segment was closed), and counts itself out again.
        this.top = 0;
        STATUS.setRelease(this, sequence << STATE_BITS | OPEN);
    }

    /** Ends the incarnation: readers that named it will find a new generation. */
    void retire() {
        kind = null;
        key = null;
        STATUS.setVolatile(this, sequence << STATE_BITS | FREE);
        generation = generation + 1; // volatile write: before the memory is handed out again
        VarHandle.fullFence();
    }

    public int generation() {
        return generation;
    }

    public Kind kind() {
        return kind;
    }

    public int ttlClass() {
        return ttlClass;
    }

    /** This incarnation's key for the eviction policy (unique to it). */
    public Long key() {
        return key;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * Takes {@code size} bytes at the top for an entry and counts the caller in as a writer; returns the offset, or
     * -1 if the segment is full or closed (the caller is then not counted in).
     */
    public int reserve(int size) {
        WRITERS.getAndAdd(this, 1);
        while (true) {
            int at = top;
            if (at > capacity - size) { // also when closed
                WRITERS.getAndAdd(this, -1);
                return -1;
            }
            if (TOP.compareAndSet(this, at, at + size)) {
                return at;
            }
        }
    }

    /** The writer's entry is in the index (or was abandoned): it counts itself out. */
    public void published() {
        WRITERS.getAndAdd(this, -1);
    }

    /**
     * Opens a segment that no {@link OpenSegments} knows of, to restore a snapshot into: its writer reserves and
     * publishes entries as a put does, then {@link #seal}s it.
     */
    public void openForRestore(Kind kind, int ttlClass, long sequence) {
        open(kind, ttlClass, sequence);
    }

    /** Closes a segment opened with {@link #openForRestore} and waits for its writers: it is sealed. */
    public void seal() {
        close();
        awaitWriters();
    }

    /** Ends appending; returns where the entries end. Once, by the one who replaces it as the open segment. */
    int close() {
        end = (int) TOP.getAndSet(this, CLOSED);
        return end;
    }

    /** Waits for the writers that reserved room before {@link #close}, then marks it sealed. */
    void awaitWriters() {
        waitForWriters();
        STATUS.setRelease(this, sequence << STATE_BITS | SEALED);
    }

    /**
     * Waits for the writers that reserved room before {@link #close}: then its bytes stay as they are (a snapshot
     * reads a closed segment whoever seals it).
     */
    public void waitForWriters() {
        for (int spins = 0; (int) WRITERS.getVolatile(this) != 0; spins++) {
            if (spins < 100) {
                Thread.onSpinWait();
            }
            else {
                Thread.yield();
            }
        }
    }

    /** True once appending ended (it may still be waiting for writers to be sealed). */
    public boolean closed() {
        return top == CLOSED;
    }

    /** Where the entries end, once closed and its writers are out. */
    public int end() {
        return end;
    }

    /** Bytes written so far: the top while open, the end once closed. */
    public int used() {
        int at = top;
        return at == CLOSED ? end : at;
    }

    /**
     * Claims incarnation {@code sequence}, sealed, for its one drain; false if another drain has it, or if the
     * segment is not that incarnation sealed (drained already, and perhaps open again as another).
     */
    public boolean claim(long sequence) {
        return STATUS.compareAndSet(this, sequence << STATE_BITS | SEALED, sequence << STATE_BITS | DRAINING);
    }

    public boolean sealed() {
        return (status & (1 << STATE_BITS) - 1) == SEALED;
    }

    /** The number of this incarnation: unique to it, and larger for a later one. */
    public long sequence() {
        return sequence;
    }

    /** Raises the latest expiry of its entries to {@code expiresAt}. */
    public void raiseExpiry(long expiresAt) {
        for (long now = maxExpiry; expiresAt > now; now = maxExpiry) {
            if (MAX_EXPIRY.compareAndSet(this, now, expiresAt)) {
                return;
            }
        }
    }

    public long maxExpiry() {
        return maxExpiry;
    }

    /** Raises the newest write mark of its entries to {@code mark}. */
    public void raiseMark(long mark) {
        for (long now = lastMark; mark > now; now = lastMark) {
            if (LAST_MARK.compareAndSet(this, now, mark)) {
                return;
            }
        }
    }

    public long lastMark() {
        return lastMark;
    }

    public void addLive(long bytes) {
        LIVE_BYTES.getAndAdd(this, bytes);
    }

    public long liveBytes() {
        return liveBytes;
    }

    @Override
    public String toString() {
        return "Segment[" + id + ", " + kind + ", class " + ttlClass + ", " + used() + " bytes]";
    }
}
