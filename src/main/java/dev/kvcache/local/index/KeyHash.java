package dev.kvcache.local.index;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The 64-bit hash of a packed key that the {@link KeyIndex} files it under, seeded at random in every process (in
 * tests, fixed), so that nobody can craft keys that pile into one bucket. Eight bytes a step, then Murmur3's
 * finaliser, so that every input bit moves every output bit (the index takes its bucket from the low bits and its
 * tag from the high ones).
 */
public final class KeyHash {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);

    private KeyHash() {
    }

    /** The hash of the whole array. */
    public static long of(long seed, byte[] packedKey) {
        return of(seed, packedKey, 0, packedKey.length);
    }

    /** The hash of {@code length} bytes at {@code from}. */
    public static long of(long seed, byte[] bytes, int from, int length) {
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

    private static long mix(long x) {
        x = (x ^ (x >>> 33)) * 0xFF51AFD7ED558CCDL;
        x = (x ^ (x >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return x ^ (x >>> 33);
    }
}
