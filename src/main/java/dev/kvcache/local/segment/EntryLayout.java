package dev.kvcache.local.segment;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An entry as a segment holds it, and as the heap copies of it that readers make:
 * <pre>
 *  0  u16  key length, packed bytes (1 to 57,345: 65,536 characters pack into 57,345 bytes)
 *  2  u16  value length, packed bytes (1 to 57,345)
 *  4  i64  the expiry: the {@code Ticker} time at which it expires, or {@link #NEVER}
 * 12       the key, then the value, both packed at 7 bits a character ({@link PackedAscii})
 *          then padding to a multiple of 8 bytes, where the next entry starts
 * </pre>
 * Entries never change once written: a new value is a new entry, and the old one is left to its segment, which is
 * emptied and reused whole. So a segment can be walked from its start by the lengths alone. Little-endian, in
 * segments, copies and snapshot files alike.
 */
public final class EntryLayout {

    /** The byte order of segments. */
    public static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final VarHandle SHORTS = MethodHandles.byteArrayViewVarHandle(short[].class, ORDER);
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ORDER);

    static final int KEY_LENGTH = 0;
    static final int VALUE_LENGTH = 2;
    static final int EXPIRES_AT = 4;
    public static final int HEADER = 12;
    static final int ALIGNMENT = 8;

    /** Expiry of an entry that never expires. */
    public static final long NEVER = Long.MAX_VALUE;

    private EntryLayout() {
    }

    /** Bytes an entry with these packed lengths takes in a segment, padding included. */
    public static int size(int packedKeyLength, int packedValueLength) {
        return (HEADER + packedKeyLength + packedValueLength + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /** Bytes an entry with a key and a value of these lengths, in characters, takes in a segment. */
    public static int sizeOf(int keyLength, int valueLength) {
        return size(PackedAscii.packedLength(keyLength), PackedAscii.packedLength(valueLength));
    }

    /** The key packed, as it is stored and hashed. */
    public static byte[] packKey(String key) {
        return pack(key.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** ASCII bytes packed. */
    public static byte[] pack(byte[] ascii) {
        byte[] packed = new byte[PackedAscii.packedLength(ascii.length)];
        PackedAscii.pack(ascii, packed, 0);
        return packed;
    }

    /** Writes an entry at {@code offset}: the caller's room, which no reader can see before the index names it. */
    public static void write(ByteBuffer segment, int offset, byte[] packedKey, byte[] packedValue, long expiresAt) {
        segment.putShort(offset + KEY_LENGTH, (short) packedKey.length);
        segment.putShort(offset + VALUE_LENGTH, (short) packedValue.length);
        segment.putLong(offset + EXPIRES_AT, expiresAt);
        segment.put(offset + HEADER, packedKey);
        segment.put(offset + HEADER + packedKey.length, packedValue);
    }

    /**
     * Fills {@code size} bytes at {@code offset} (a multiple of 8, at least {@link #HEADER} + 2) with an entry no
     * index names, expired: room reserved and then given up keeps the segment walkable.
     */
    static void writeFiller(ByteBuffer segment, int offset, int size) {
        segment.putShort(offset + KEY_LENGTH, (short) 1);
        segment.putShort(offset + VALUE_LENGTH, (short) (size - HEADER - 1));
        segment.putLong(offset + EXPIRES_AT, Long.MIN_VALUE);
    }

    /** Sets the entry's expiry (a snapshot's copy holds it as a Unix time in milliseconds instead). */
    public static void setExpiresAt(ByteBuffer segment, int offset, long expiresAt) {
        segment.putLong(offset + EXPIRES_AT, expiresAt);
    }

    /** Characters of the entry's value. */
    public static int valueChars(ByteBuffer segment, int offset) {
        int length = valueLength(segment, offset);
        int tail = segment.get(offset + HEADER + keyLength(segment, offset) + length - 1);
        return 8 * ((length - 1 - tail) / 7) + tail;
    }

    public static int keyLength(ByteBuffer segment, int offset) {
        return segment.getShort(offset + KEY_LENGTH) & 0xFFFF;
    }

    public static int valueLength(ByteBuffer segment, int offset) {
        return segment.getShort(offset + VALUE_LENGTH) & 0xFFFF;
    }

    public static long expiresAt(ByteBuffer segment, int offset) {
        return segment.getLong(offset + EXPIRES_AT);
    }

    /** Bytes of the entry at {@code offset}, padding included (the next entry's start is this far on). */
    public static int sizeAt(ByteBuffer segment, int offset) {
        return size(keyLength(segment, offset), valueLength(segment, offset));
    }

    /**
     * A copy of the entry at {@code offset} (header, key and value), or null if its header makes no sense there: a
     * reader racing a segment's reuse may read anything, and must only never fail on it.
     */
    public static byte[] copy(ByteBuffer segment, int offset, int end) {
        if (offset < 0 || offset + HEADER > end) {
            return null;
        }
        int length = HEADER + keyLength(segment, offset) + valueLength(segment, offset);
        if (length > end - offset) {
            return null;
        }
        byte[] copy = new byte[length];
        segment.get(offset, copy);
        return copy;
    }

    // The heap copy ----------------------------------------------------------------------------------------

    static int keyLength(byte[] copy) {
        return (short) SHORTS.get(copy, KEY_LENGTH) & 0xFFFF;
    }

    static int valueLength(byte[] copy) {
        return (short) SHORTS.get(copy, VALUE_LENGTH) & 0xFFFF;
    }

    /** True if the copy holds this packed key. */
    public static boolean hasKey(byte[] copy, byte[] packedKey) {
        int length = keyLength(copy);
        return length == packedKey.length && Arrays.equals(copy, HEADER, HEADER + length, packedKey, 0, length);
    }

    /** True if the entry at {@code offset} holds this packed key (the segment must not change meanwhile). */
    public static boolean hasKey(ByteBuffer segment, int offset, byte[] packedKey) {
        int length = packedKey.length;
        if (keyLength(segment, offset) != length) {
            return false;
        }
        int from = offset + HEADER;
        int i = 0;
        for (; i + 8 <= length; i += 8) {
            if (segment.getLong(from + i) != (long) LONGS.get(packedKey, i)) {
                return false;
            }
        }
        for (; i < length; i++) {
            if (segment.get(from + i) != packedKey[i]) {
                return false;
            }
        }
        return true;
    }

    public static long expiresAt(byte[] copy) {
        return (long) LONGS.get(copy, EXPIRES_AT);
    }

    /** The key's ASCII bytes, one a character. */
    public static byte[] keyAscii(byte[] copy) {
        return PackedAscii.unpack(copy, HEADER, keyLength(copy));
    }

    /** The value's ASCII bytes, one a character. */
    public static byte[] valueAscii(byte[] copy) {
        return PackedAscii.unpack(copy, HEADER + keyLength(copy), valueLength(copy));
    }

    public static String valueText(byte[] copy) {
        return new String(valueAscii(copy), StandardCharsets.ISO_8859_1);
    }

    /** True when the expiry has come at {@code now} (a {@code Ticker} time, which may be negative). */
    public static boolean expired(long expiresAt, long now) {
        return expiresAt != NEVER && expiresAt - now <= 0;
    }

    /** Nanoseconds left at {@code now}; {@link Long#MAX_VALUE} for ever. */
    public static long remaining(long expiresAt, long now) {
        return expiresAt == NEVER ? Long.MAX_VALUE : Math.max(0, expiresAt - now);
    }
}
