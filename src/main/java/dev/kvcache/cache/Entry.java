package dev.kvcache.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * An entry as the index sees it: the key's fingerprint and the reference of the {@link Slabs} chunk that holds the
 * key, the value and their header ({@link StoredEntry}). Caffeine holds it as key and as value, the
 * {@link RecencyReserve} as key; equality, hash and order are the fingerprint's, so they never read off-heap
 * memory, whatever happens to the chunk meanwhile.
 *
 * <p>The fingerprint is a 64-bit hash of the packed key, seeded at random in every process (in tests, fixed): two
 * keys share one only by chance (about once in 10^13 pairs, and nobody can craft it without the seed). Even then
 * nothing wrong is read: a get compares the key in the chunk with its own, and a second key put under a shared
 * fingerprint replaces the first as if it had been evicted.
 *
 * <p>{@link #chunk} changes when a put replaces the value of an entry Caffeine holds (the entry object stays, so
 * Caffeine keeps its place in the policy); readers read it once per attempt and check the copy they made.
 */
final class Entry implements Comparable<Entry> {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);

    final long fingerprint;
    /** The chunk holding the entry now; 0 in a lookup key. */
    volatile long chunk;
    /** Read since its value was written (plain: a race only writes the same value twice). */
    boolean read;

    Entry(long fingerprint, long chunk) {
        this.fingerprint = fingerprint;
        this.chunk = chunk;
    }

    /** The 64-bit hash of a packed key, with the store's seed. */
    static long fingerprint(long seed, byte[] packedKey) {
        long h = seed ^ packedKey.length * 0x9E3779B97F4A7C15L;
        int i = 0;
        for (; i + 8 <= packedKey.length; i += 8) {
            h = (h ^ (long) LONGS.get(packedKey, i)) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        long tail = 0;
        for (int shift = 0; i < packedKey.length; i++, shift += 8) {
            tail |= (packedKey[i] & 0xFFL) << shift;
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
        return other instanceof Entry entry && entry.fingerprint == fingerprint;
    }

    @Override
    public int hashCode() {
        return (int) (fingerprint ^ (fingerprint >>> 32));
    }

    /** Comparable, so that ConcurrentHashMap keeps keys whose hashes collide in a balanced tree. */
    @Override
    public int compareTo(Entry other) {
        return Long.compare(fingerprint, other.fingerprint);
    }

    @Override
    public String toString() {
        return "Entry[" + Long.toHexString(fingerprint) + "]";
    }
}
