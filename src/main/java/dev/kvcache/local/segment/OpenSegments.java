package dev.kvcache.local.segment;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * The segments being written: one for each kind of entry (young, main) and each TTL class, so that a segment holds
 * entries that expire at about the same time and leaves whole when they have (Segcache's TTL buckets). Appending
 * takes no lock: a writer reserves room in the open segment; only the one that finds it full replaces it, under
 * the lock of its kind and class, and hands the full one to the {@code sealer} once its last writer is out.
 *
 * <p>A fresh segment comes from the {@link Supplier}, which may have to make room (drain another segment) for it,
 * under the lock of its kind and class: so one writer makes room, not every writer that found the segment full.
 * The drains that room takes append to main segments only, under a main slot's lock and with no room made then:
 * a young slot's lock is always taken before a drain's, a main slot's after.
 */
public final class OpenSegments {

    /** TTL classes: 0 for entries that never expire, then one for each power of two of seconds. */
    public static final int TTL_CLASSES = 40;

    /** Where fresh segments come from. */
    public interface Supplier {

        /**
         * A free segment for entries of this kind, making room for it if need be; for copies of entries moved by a
         * drain ({@code forCopy}) only from the segments kept free for them, never by making room (a drain must not
         * start another), and null if there is none.
         */
        Segment take(Segment.Kind kind, boolean forCopy);
    }

    private final SegmentPool pool;
    private final Supplier supplier;
    private final Consumer<Segment> sealer;
    private final AtomicReferenceArray<Segment> open = new AtomicReferenceArray<>(2 * TTL_CLASSES);
    private final Object[] locks = new Object[2 * TTL_CLASSES];
    private final AtomicLong sequence;
    private final AtomicInteger openCount = new AtomicInteger();

    /**
     * @param sequence numbers the segments' incarnations, in the order they open
     * @param sealer takes each segment once it is full and its writers are out
     */
    public OpenSegments(SegmentPool pool, Supplier supplier, Consumer<Segment> sealer, AtomicLong sequence) {
        this.pool = pool;
        this.supplier = supplier;
        this.sealer = sealer;
        this.sequence = sequence;
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
    }

    /** The TTL class of a time to live in nanoseconds (0: never expires). */
    public static int ttlClass(long ttlNanos) {
        if (ttlNanos == 0) {
            return 0;
        }
        long seconds = Math.max(1, ttlNanos >>> 30); // units of 1.07 s: classes need no more precision
        return Math.min(TTL_CLASSES - 1, 64 - Long.numberOfLeadingZeros(seconds));
    }

    /** Segments open now. */
    public int count() {
        return openCount.get();
    }

    /**
     * Room for an entry of {@code size} bytes in the open segment of its kind and class, the caller counted in as
     * its writer (it calls {@link Segment#published} once the index names the entry, or it gives up on it): the
     * segment's number in the high 32 bits and the offset in the low ones. -1 only for a copy with no room left.
     */
    public long append(Segment.Kind kind, int ttlClass, int size, boolean forCopy) {
        int slot = slot(kind, ttlClass);
        while (true) {
            Segment current = open.get(slot);
            if (current != null) {
                int offset = current.reserve(size);
                if (offset >= 0) {
                    if (open.get(slot) == current) { // still this slot's: it cannot be recycled while we are in
                        return (long) current.id << 32 | offset;
                    }
                    // Filled, drained and opened again for another kind or class since we read the slot: an entry
                    // must not land there (a young write in a main segment would lose the young share's guarantee).
                    EntryLayout.writeFiller(current.buffer(), offset, size);
                    current.published();
                    continue;
                }
            }
            Segment full = null;
            synchronized (locks[slot]) {
                if (open.get(slot) != current) {
                    continue; // another writer replaced it: write there
                }
                // Under the lock, so that one writer takes (and may make room for) the next segment, not all the
                // writers that found this one full.
                Segment fresh = supplier.take(kind, forCopy);
                if (fresh == null) {
                    return -1;
                }
                fresh.open(kind, ttlClass, sequence.incrementAndGet());
                open.set(slot, fresh);
                if (current != null) {
                    current.close();
                    full = current;
                }
                else {
                    openCount.incrementAndGet();
                }
            }
            if (full != null) {
                full.awaitWriters();
                sealer.accept(full);
            }
        }
    }

    /**
     * Closes the open segments whose entries have all expired at {@code now} and hands each, sealed, to
     * {@code expired} (not to the sealer), so that their memory comes back without waiting for them to fill.
     */
    public void closeExpired(long now, Consumer<Segment> expired) {
        for (int slot = 0; slot < open.length(); slot++) {
            Segment current = open.get(slot);
            if (current != null && current.maxExpiry() != Long.MIN_VALUE && current.maxExpiry() != EntryLayout.NEVER
                    && current.maxExpiry() - now <= 0 && close(slot, current)) {
                expired.accept(current);
            }
        }
    }

    /** The earliest time at which an open segment's entries will all have expired; {@link Long#MAX_VALUE} if none. */
    public long earliestExpiry() {
        long earliest = Long.MAX_VALUE;
        for (int slot = 0; slot < open.length(); slot++) {
            Segment current = open.get(slot);
            if (current != null && current.maxExpiry() != Long.MIN_VALUE) {
                earliest = Math.min(earliest, current.maxExpiry());
            }
        }
        return earliest;
    }

    /** Closes every open segment and hands each, sealed, to the sealer (a snapshot is written from sealed ones). */
    public void sealAll() {
        for (int slot = 0; slot < open.length(); slot++) {
            Segment current = open.get(slot);
            if (current != null && close(slot, current)) {
                sealer.accept(current);
            }
        }
    }

    /** Closes the open segment of a slot and waits for its writers; false if it was replaced meanwhile. */
    private boolean close(int slot, Segment current) {
        synchronized (locks[slot]) {
            if (open.get(slot) != current) {
                return false;
            }
            open.set(slot, null);
            openCount.decrementAndGet();
            current.close();
        }
        current.awaitWriters();
        return true;
    }

    private static int slot(Segment.Kind kind, int ttlClass) {
        return (kind == Segment.Kind.MAIN ? TTL_CLASSES : 0) + ttlClass;
    }
}
