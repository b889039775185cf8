package dev.kvcache.local;

import dev.kvcache.local.segment.PackedAscii;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The layout of an entry in its {@link Slabs} chunk, and of the on-heap copies made of it:
 * <pre>
 *  0  int   the chunk's size (the slabs' own, see {@link Slabs#HEADER})
 *  4  int   key length, in characters
 *  8  int   value length, in characters
 * 12  long  the write mark: bytes of entries written, this one included, when it was written (recency in the
 *           unit the budget counts; see {@link RecencyReserve})
 * 20  long  the expiry: the {@code Ticker} time at which it expires, or {@link #NEVER}
 * 28        the key, then the value, both packed at 7 bits a character ({@link PackedAscii})
 * </pre>
 */
final class ChunkLayout {

    static final int KEY_LENGTH = 4;
    static final int VALUE_LENGTH = 8;
    static final int WRITE_MARK = 12;
    static final int EXPIRES_AT = 20;
    static final int HEADER = 28;

    /** Expiry of an entry that never expires. */
    static final long NEVER = Long.MAX_VALUE;

    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.nativeOrder());

    private ChunkLayout() {
    }

    /** Bytes an entry with these lengths, in characters, takes in its chunk. */
    static int size(int keyLength, int valueLength) {
        return HEADER + PackedAscii.packedLength(keyLength) + PackedAscii.packedLength(valueLength);
    }

    /** The key packed, as it is stored and fingerprinted. */
    static byte[] packKey(byte[] keyAscii) {
        byte[] packed = new byte[PackedAscii.packedLength(keyAscii.length)];
        PackedAscii.pack(keyAscii, packed, 0);
        return packed;
    }

    /** The bytes of a chunk holding this entry (the slabs' header left 0). */
    static byte[] image(byte[] packedKey, int keyLength, byte[] valueAscii, long writeMark, long expiresAt) {
        byte[] image = new byte[HEADER + packedKey.length + PackedAscii.packedLength(valueAscii.length)];
        INTS.set(image, KEY_LENGTH, keyLength);
        INTS.set(image, VALUE_LENGTH, valueAscii.length);
        LONGS.set(image, WRITE_MARK, writeMark);
        LONGS.set(image, EXPIRES_AT, expiresAt);
        System.arraycopy(packedKey, 0, image, HEADER, packedKey.length);
        PackedAscii.pack(valueAscii, image, HEADER + packedKey.length);
        return image;
    }

    /** Bytes of the entry in an image or copy (a copy may be longer: it holds its whole chunk). */
    static int size(byte[] copy) {
        return size(keyLength(copy), valueLength(copy));
    }

    static int keyLength(byte[] copy) {
        return (int) INTS.get(copy, KEY_LENGTH);
    }

    static int valueLength(byte[] copy) {
        return (int) INTS.get(copy, VALUE_LENGTH);
    }

    static long writeMark(byte[] copy) {
        return (long) LONGS.get(copy, WRITE_MARK);
    }

    static long expiresAt(byte[] copy) {
        return (long) LONGS.get(copy, EXPIRES_AT);
    }

    /** True when the expiry has come at {@code now} (a {@code Ticker} time, which may be negative). */
    static boolean expired(long expiresAt, long now) {
        return expiresAt != NEVER && expiresAt - now <= 0;
    }

    /** Nanoseconds left at {@code now}; {@link Long#MAX_VALUE} for ever. */
    static long remaining(long expiresAt, long now) {
        return expiresAt == NEVER ? Long.MAX_VALUE : Math.max(0, expiresAt - now);
    }

    /** True if the copy holds this packed key. */
    static boolean hasKey(byte[] copy, byte[] packedKey) {
        int length = PackedAscii.packedLength(keyLength(copy));
        return length == packedKey.length
                && Arrays.equals(copy, HEADER, HEADER + length, packedKey, 0, length);
    }

    /** The key's ASCII bytes, one a character. */
    static byte[] keyAscii(byte[] copy) {
        return PackedAscii.unpack(copy, HEADER, PackedAscii.packedLength(keyLength(copy)));
    }

    /** The value's ASCII bytes, one a character. */
    static byte[] valueAscii(byte[] copy) {
        return PackedAscii.unpack(copy, HEADER + PackedAscii.packedLength(keyLength(copy)),
                PackedAscii.packedLength(valueLength(copy)));
    }

    static String valueText(byte[] copy) {
        return new String(valueAscii(copy), StandardCharsets.ISO_8859_1);
    }
}
