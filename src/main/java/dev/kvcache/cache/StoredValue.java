package dev.kvcache.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The one array a value is stored in: a header of two longs, then the value's ASCII characters packed at 7 bits
 * each ({@link PackedAscii}).
 * The header travels with the value wherever the entry goes (Caffeine, the {@link RecencyReserve}, a snapshot),
 * at 16 bytes an entry instead of an object of its own:
 * <ul>
 * <li>the write mark: how many bytes of entries had been written, this one included, when it was written; it
 * says how recent a write is in the unit the budget is counted in;</li>
 * <li>the expiry: the {@code Ticker} time at which the entry expires, or {@link #NEVER}.</li>
 * </ul>
 */
final class StoredValue {

    static final int HEADER = 16;

    /** Expiry of an entry that never expires. */
    static final long NEVER = Long.MAX_VALUE;

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private StoredValue() {
    }

    /** The value's array; the value must be ASCII (checked by {@link CacheService}). */
    static byte[] of(String value, long writeMark, long expiresAt) {
        return of(value.getBytes(StandardCharsets.ISO_8859_1), writeMark, expiresAt);
    }

    /** The array of a value given as ASCII bytes, one a character. */
    static byte[] of(byte[] ascii, long writeMark, long expiresAt) {
        byte[] stored = new byte[HEADER + PackedAscii.packedLength(ascii.length)];
        LONGS.set(stored, 0, writeMark);
        LONGS.set(stored, 8, expiresAt);
        PackedAscii.pack(ascii, stored, HEADER);
        return stored;
    }

    static long writeMark(byte[] stored) {
        return (long) LONGS.get(stored, 0) & ~READ;
    }

    /** The write mark's top bit: the entry was read since it was written. */
    private static final long READ = 1L << 62;

    static boolean wasRead(byte[] stored) {
        return ((long) LONGS.get(stored, 0) & READ) != 0;
    }

    /** Notes that the entry was read (a plain write, once: a race only writes the same bit twice). */
    static void markRead(byte[] stored) {
        long word = (long) LONGS.get(stored, 0);
        if ((word & READ) == 0) {
            LONGS.set(stored, 0, word | READ);
        }
    }

    static long expiresAt(byte[] stored) {
        return (long) LONGS.get(stored, 8);
    }

    /** True when the entry's expiry has come at {@code now} (a {@code Ticker} time, which may be negative). */
    static boolean expired(byte[] stored, long now) {
        long expiresAt = expiresAt(stored);
        return expiresAt != NEVER && expiresAt - now <= 0;
    }

    /** Nanoseconds the entry has left at {@code now}; {@link Long#MAX_VALUE} for ever. */
    static long remaining(byte[] stored, long now) {
        long expiresAt = expiresAt(stored);
        return expiresAt == NEVER ? Long.MAX_VALUE : Math.max(0, expiresAt - now);
    }

    /** The value's ASCII bytes, one a character, in a new array. */
    static byte[] ascii(byte[] stored) {
        return PackedAscii.unpack(stored, HEADER, stored.length - HEADER);
    }

    static String text(byte[] stored) {
        return new String(ascii(stored), StandardCharsets.ISO_8859_1);
    }
}
