package dev.kvcache.local;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import com.google.errorprone.annotations.concurrent.GuardedBy;

/**
 * The most recent writes that Caffeine evicted: while an entry is among the newest {@code horizon} bytes of
 * writes, evicting it from Caffeine moves it here instead of dropping it, so a key-value cache's users can read
 * back what they just wrote whatever Caffeine's admission policy thought of it.
 *
 * <p>Entries are kept in buckets by write mark (see {@link ChunkLayout}), each covering {@code bucketSpan} bytes
 * of writes, in a ring. Once the writes have moved a whole bucket past the horizon, the bucket is dropped
 * wholesale. So the entries held were all written within the last {@code horizon + bucketSpan} bytes of writes
 * and, as every byte written is counted in one entry only, weigh at most that (plus the one entry straddling the
 * oldest bucket's start), however much Caffeine evicts. An entry read
 * here goes back to Caffeine, which counts the read in its frequency sketch; it stays here as well (so that a
 * reader who looked in Caffeine just before cannot miss it here just after) until its bucket is dropped, or
 * Caffeine evicts it again and it comes back as a new holding of the same write.
 *
 * <p>Reads are lock-free map lookups; adding, promoting and dropping hold one lock, taken inside Caffeine's
 * eviction (which holds its own lock first, never the other way round).
 */
final class RecencyReserve {

    /** An entry held here (with its chunk: the reserve's while it holds it), and a link of its bucket's list. */
    static final class Held {

        final IndexEntry entry;
        final int weight;
        final long writeMark;
        /** Also in Caffeine (as a copy of its own): not counted as an entry of its own. */
        volatile boolean promoted;
        Held previous;
        Held next;

        Held(IndexEntry entry, int weight, long writeMark) {
            this.entry = entry;
            this.weight = weight;
            this.writeMark = writeMark;
        }
    }

    private final ConcurrentHashMap<IndexEntry, Held> entries = new ConcurrentHashMap<>();
    private final Slabs slabs;
    /** Entries of the map that are in Caffeine too (see {@link #promoted}). */
    private final LongAdder promoted = new LongAdder();
    private final ReentrantLock lock = new ReentrantLock();
    private final Consumer<Held> dropped;
    private final long bucketSpan;
    @GuardedBy("lock")
    private final Held[] heads;
    @GuardedBy("lock")
    private final Held[] tails;
    @GuardedBy("lock")
    private final long[] bucketWeights;
    private final int mask;
    /** Live buckets are oldest..newest; bucket b holds write marks in (b * span, (b + 1) * span]. */
    @GuardedBy("lock")
    private long oldest;
    @GuardedBy("lock")
    private long newest = -1;
    /** Written under the lock, read without it. */
    private volatile long weight;
    private volatile long horizon;

    /**
     * @param slabs where the entries' chunks are, freed here as entries leave
     * @param maxHorizon the largest horizon this reserve will be given
     * @param bucketSpan bytes of writes per bucket: the granularity of dropping
     * @param horizon the horizon to start with
     * @param dropped told of each entry dropped for being past the horizon (not of those replaced or removed)
     */
    RecencyReserve(Slabs slabs, long maxHorizon, long bucketSpan, long horizon, Consumer<Held> dropped) {
        this.slabs = slabs;
        this.bucketSpan = bucketSpan;
        this.horizon = horizon;
        this.dropped = dropped;
        int buckets = Integer.highestOneBit((int) (maxHorizon / bucketSpan + 4) * 2);
        this.heads = new Held[buckets];
        this.tails = new Held[buckets];
        this.bucketWeights = new long[buckets];
        this.mask = buckets - 1;
    }

    /** Heap the buckets' entries take, as weighed, including those replaced since but not yet dropped. */
    long weight() {
        return weight;
    }

    long horizon() {
        return horizon;
    }

    /** Entries held here only (expired ones included until {@link #removeExpired}). */
    long size() {
        return Math.max(0, entries.mappingCount() - promoted.sum());
    }

    /**
     * Takes in an entry Caffeine evicted, with its chunk, if it is among the newest {@code horizon} bytes of writes.
     *
     * @param written bytes written so far (the newest write mark)
     * @return true if the entry is held here now; if false, its chunk is still the caller's to free
     */
    boolean rescue(IndexEntry entry, int weight, long mark, long written) {
        long floor = written - horizon;
        if (mark <= floor) {
            return false;
        }
        lock.lock();
        try {
            dropThrough(floor);
            Held held = new Held(entry, weight, mark);
            Held[] replaced = new Held[1];
            Held now = entries.compute(entry, (k, old) -> {
                if (old != null && old.writeMark > mark) {
                    return old; // Caffeine evicted two writes of the key out of order: the newer stays
                }
                replaced[0] = old;
                return held;
            });
            if (now != held) {
                return false;
            }
            link(held);
            if (replaced[0] != null) {
                left(replaced[0]);
                if (replaced[0].writeMark == mark) {
                    unlink(replaced[0]); // the same write, promoted and evicted again: count its weight once
                }
            }
            return true;
        }
        finally {
            lock.unlock();
        }
    }

    /** The entry held for the key, or null (it may have expired: its chunk says). */
    Held get(IndexEntry key) {
        return entries.get(key);
    }

    /** True if this is what the reserve holds for its key now. */
    boolean holds(Held held) {
        return entries.get(held.entry) == held;
    }

    /** The entry is in Caffeine again (as a copy; it stays here too, see above). */
    void promoted(Held held) {
        if (!held.promoted) {
            held.promoted = true;
            promoted.increment();
        }
    }

    /** Forgets the key, unless what is held is the entry {@code current} (which Caffeine evicted at once). */
    void removeUnless(IndexEntry key, IndexEntry current) {
        entries.computeIfPresent(key, (k, held) -> {
            if (held.entry == current) {
                return held;
            }
            left(held);
            return null;
        });
    }

    /**
     * Forgets the key if what is held is this key (not one that shares its fingerprint): a delete.
     *
     * @return true if a live entry was held
     */
    boolean remove(IndexEntry key, byte[] packedKey, long now) {
        boolean[] live = new boolean[1];
        entries.computeIfPresent(key, (k, held) -> {
            byte[] copy = null; // only a removal from the map takes the chunk out; a move is copied again
            for (long chunk; copy == null && (chunk = held.entry.chunk) != 0; ) {
                copy = slabs.copy(chunk);
            }
            if (copy == null || !ChunkLayout.hasKey(copy, packedKey)) {
                return held;
            }
            live[0] = !ChunkLayout.expired(ChunkLayout.expiresAt(copy), now);
            left(held);
            return null;
        });
        return live[0];
    }

    /** Forgets the entries that have expired at {@code now}; returns how many. */
    int removeExpired(long now) {
        int[] removed = new int[1];
        for (Held held : entries.values()) {
            long chunk = held.entry.chunk;
            if (chunk == 0) {
                continue; // on its way out
            }
            long expiresAt = slabs.longAt(chunk, ChunkLayout.EXPIRES_AT);
            // Read before the check: a chunk freed meanwhile (its entry removed, or moved) may have held anything.
            if (slabs.isCurrent(chunk) && ChunkLayout.expired(expiresAt, now) && entries.remove(held.entry, held)) {
                left(held);
                removed[0] += held.promoted ? 0 : 1; // a promoted one expires in Caffeine, which counts it
            }
        }
        return removed[0];
    }

    /** The entries held (a live view; promoted and expired ones included). */
    Iterable<Held> held() {
        return entries.values();
    }

    /** Moves the horizon; a smaller one drops, before returning, the buckets now past it. */
    void setHorizon(long horizon, long written) {
        lock.lock();
        try {
            this.horizon = horizon;
            dropThrough(written - horizon);
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Drops the buckets whose writes are all at or below {@code floor}, whatever the horizon (the pages need room);
     * returns how many entries held only here it dropped.
     */
    int dropOlderThan(long floor) {
        lock.lock();
        try {
            long before = size();
            dropThrough(floor);
            return (int) Math.max(0, before - size());
        }
        finally {
            lock.unlock();
        }
    }

    /** An entry left the map: keeps the count of promoted ones, and frees its chunk (no one can find it now). */
    private void left(Held held) {
        if (held.promoted) {
            promoted.decrement();
        }
        slabs.free(held.entry.take());
    }

    @GuardedBy("lock")
    private void link(Held held) {
        long bucket = (held.writeMark - 1) / bucketSpan;
        if (newest < oldest) { // empty
            oldest = bucket;
            newest = bucket;
        }
        else if (bucket > newest) {
            newest = bucket;
        }
        else if (bucket < oldest) { // the horizon grew since the oldest bucket was dropped
            oldest = bucket;
        }
        int slot = slot(held);
        held.previous = tails[slot];
        if (tails[slot] == null) {
            heads[slot] = held;
        }
        else {
            tails[slot].next = held;
        }
        tails[slot] = held;
        bucketWeights[slot] += held.weight;
        weight += held.weight;
    }

    @GuardedBy("lock")
    private void unlink(Held held) {
        int slot = slot(held);
        if (held.previous == null) {
            heads[slot] = held.next;
        }
        else {
            held.previous.next = held.next;
        }
        if (held.next == null) {
            tails[slot] = held.previous;
        }
        else {
            held.next.previous = held.previous;
        }
        held.previous = null;
        held.next = null;
        bucketWeights[slot] -= held.weight;
        weight -= held.weight;
    }

    private int slot(Held held) {
        return (int) ((held.writeMark - 1) / bucketSpan) & mask;
    }

    /** Drops every bucket whose newest possible write mark is at or below the floor. */
    @GuardedBy("lock")
    private void dropThrough(long floor) {
        while (oldest <= newest && (oldest + 1) * bucketSpan <= floor) {
            int slot = (int) oldest & mask;
            for (Held held = heads[slot]; held != null; held = held.next) {
                if (entries.remove(held.entry, held)) {
                    left(held);
                    if (!held.promoted) {
                        dropped.accept(held);
                    }
                }
            }
            weight -= bucketWeights[slot];
            heads[slot] = null;
            tails[slot] = null;
            bucketWeights[slot] = 0;
            oldest++;
        }
    }
}
