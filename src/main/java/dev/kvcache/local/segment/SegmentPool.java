package dev.kvcache.local.segment;

import com.google.errorprone.annotations.concurrent.GuardedBy;

/**
 * All the segments the budget holds, and those of them that are free. A segment's memory is taken from the system
 * (direct memory) the first time it is used and kept from then on, so an empty cache takes little and a full one
 * exactly its segments. Knows nothing of what segments hold or of eviction: when none is free, the caller makes
 * room one layer up, as memcached's {@code do_item_alloc_pull} does above its slabs.
 */
public final class SegmentPool {

    private final int segmentSize;
    private final Segment[] segments;
    @GuardedBy("this")
    private final int[] free;
    @GuardedBy("this")
    private int freeCount;
    /** Segments never used yet: numbers from here up, whose memory is not taken yet. */
    @GuardedBy("this")
    private int fresh;
    private volatile int freeNow;
    private volatile int allocated;

    public SegmentPool(int segmentSize, int count) {
        if (segmentSize % EntryLayout.ALIGNMENT != 0 || count < 1) {
            throw new IllegalArgumentException(count + " segments of " + segmentSize + " bytes");
        }
        this.segmentSize = segmentSize;
        this.segments = new Segment[count];
        for (int i = 0; i < count; i++) {
            segments[i] = new Segment(i, segmentSize);
        }
        this.free = new int[count];
        this.freeNow = count;
    }

    public int segmentSize() {
        return segmentSize;
    }

    /** How many segments there are in all. */
    public int count() {
        return segments.length;
    }

    public Segment get(int id) {
        return segments[id];
    }

    /** Segments free now. */
    public int freeCount() {
        return freeNow;
    }

    /** Memory taken from the system so far. */
    public long committedBytes() {
        return (long) allocated * segmentSize;
    }

    /**
     * A free segment, its memory taken, if more than {@code keepFree} are free (those are kept for who may dip into
     * them); else null. Reused segments come before fresh ones, so memory is taken from the system only as needed.
     */
    public Segment take(int keepFree) {
        int id;
        synchronized (this) {
            if (freeNow <= keepFree) {
                return null;
            }
            if (freeCount > 0) {
                id = free[--freeCount];
            }
            else if (fresh < segments.length) {
                id = fresh++;
            }
            else {
                return null; // cannot happen: freeNow counts both
            }
            freeNow = freeNow - 1;
        }
        Segment segment = segments[id];
        if (!segment.allocated()) {
            try {
                segment.allocate();
            }
            catch (OutOfMemoryError ex) { // -XX:MaxDirectMemorySize reached: the budget was sized wrong
                free(segment);
                throw new IllegalStateException("direct memory exhausted at " + committedBytes() + " bytes of "
                        + segments.length + " segments", ex);
            }
            synchronized (this) {
                allocated++;
            }
        }
        return segment;
    }

    /** Gives a segment back, retiring its incarnation. */
    public void free(Segment segment) {
        segment.retire();
        synchronized (this) {
            free[freeCount++] = segment.id;
            freeNow = freeNow + 1;
        }
    }
}
