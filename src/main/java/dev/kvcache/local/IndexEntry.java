package dev.kvcache.local;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * An entry as the index sees it: the key's fingerprint and the reference of the {@link Slabs} chunk that holds the
 * key, the value and their header ({@link ChunkLayout}). Caffeine holds it as key and as value, the
 * {@link RecencyReserve} as key; equality, hash and order are the fingerprint's, so they never read off-heap
 * memory, whatever happens to the chunk meanwhile.
 *
 * <p>The fingerprint is a 64-bit hash of the packed key, seeded at random in every process (in tests, fixed): two
 * keys share one only by chance (about once in 10^13 pairs, and nobody can craft it without the seed). Even then
 * nothing wrong is read: a get compares the key in the chunk with its own, and a second key put under a shared
 * fingerprint replaces the first as if it had been evicted.
 *
 * <p>The entry owns its chunk. The container that holds the entry (Caffeine or the {@link RecencyReserve}) takes
 * the chunk out ({@link #take}, to free it or hand it on) or swaps in another ({@link #replace}) only while it
 * holds the key's lock (Caffeine's computation for the key, the reserve's map's); the page cleaner only ever
 * {@link #move}s it, from one chunk to an identical copy, with a compare-and-set that fails if either of those
 * came first. So exactly one party frees each chunk. Readers read {@link #chunk} once per attempt, copy it and
 * check the copy (0: the entry is on its way out).
 */
final class IndexEntry implements Comparable<IndexEntry> {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle CHUNK;

    static {
        try {
            CHUNK = MethodHandles.lookup().findVarHandle(IndexEntry.class, "chunk", long.class);
        }
        catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    final long fingerprint;
    /** The chunk holding the entry now; 0 in a lookup key, and once taken out. */
    volatile long chunk;
    /** The entry's weight (see {@link EntryWeigher}): set with its chunk, under the key's lock. */
    int weight;
    /** Read since its value was written (plain: a race only writes the same value twice). */
    boolean read;

    IndexEntry(long fingerprint, long chunk, int weight) {
        this.fingerprint = fingerprint;
        this.chunk = chunk;
        this.weight = weight;
    }

    /** A key to look the entry up with. */
    static IndexEntry lookup(long fingerprint) {
        return new IndexEntry(fingerprint, 0, 0);
    }

    /** Takes the chunk out, for the caller to free or hand on; under the key's lock. */
    long take() {
        return (long) CHUNK.getAndSet(this, 0L);
    }

    /** Puts another chunk in; returns the one it held, the caller's to free. Under the key's lock. */
    long replace(long newChunk) {
        return (long) CHUNK.getAndSet(this, newChunk);
    }

    /**
     * Moves the entry from a chunk to an identical copy: true if it held {@code from} (now the caller's to free),
     * false if it was taken out or replaced first ({@code to} stays the caller's).
     */
    boolean move(long from, long to) {
        return CHUNK.compareAndSet(this, from, to);
    }

    /** The 64-bit hash of a packed key, with the store's seed. */
    static long fingerprint(long seed, byte[] packedKey) {
        return fingerprint(seed, packedKey, 0, packedKey.length);
    }

    /** The 64-bit hash of the packed key at {@code from} in {@code bytes}, with the store's seed. */
    static long fingerprint(long seed, byte[] bytes, int from, int length) {
        long h = seed ^ length * 0x9E3779B97F4A7C15L;
        int i = from;
        int end = from + length;
        for (; i + 8 <= end; i += 8) {
            h = (h ^ (long) LONGS.get(bytes, i)) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        long tail = 0;
        for (int shift = 0; i < end; i++, shift += 8) {
            tail |= (bytes[i] & 0xFFL) << shift;
        }
        return mix(h ^ tail);
    }

    /** Murmur3's finaliser: every bit of the input moves every bit of the output. */
    private static long mix(long x) {
        x = (x ^ (x >>> 33)) * 0xFF51AFD7ED558CCDL;
        x = (x ^ (x >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return x ^ (x >>> 33);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof IndexEntry entry && entry.fingerprint == fingerprint;
    }

    @Override
    public int hashCode() {
        return (int) (fingerprint ^ (fingerprint >>> 32));
    }

    /** Comparable, so that ConcurrentHashMap keeps keys whose hashes collide in a balanced tree. */
    @Override
    public int compareTo(IndexEntry other) {
        return Long.compare(fingerprint, other.fingerprint);
    }

    @Override
    public String toString() {
        return "IndexEntry[" + Long.toHexString(fingerprint) + "]";
    }
}
