package dev.kvcache.local.segment;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * ASCII text at 7 bits a character, as keys and values are stored: an ASCII character has only 7 bits, so
 * 8 of them fit in 7 bytes and a 256-character value takes 225 bytes instead of 256.
 *
 * <p>Layout: every full group of 8 characters packed into 7 bytes, the last {@code n % 8} characters one a
 * byte, then one byte holding {@code n % 8}, which tells the length apart from the byte count ({@code 7n/8}
 * is ambiguous: 8 characters and 7 both pack into 7 bytes). Equal texts pack into equal bytes, so keys compare
 * and hash on their packed form. Each group is moved as one {@code long} with three mask-and-shift steps, so
 * packing and unpacking cost a few nanoseconds per 8 characters.
 */
public final class PackedAscii {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);
    private static final long SEVEN_BYTES = 0x00FF_FFFF_FFFF_FFFFL;

    private PackedAscii() {
    }

    /** Bytes that {@code chars} characters take packed. */
    public static int packedLength(int chars) {
        return 7 * (chars >>> 3) + (chars & 7) + 1;
    }

    /** The number of characters in the packed text of {@code length} bytes at {@code offset}. */
    public static int charCount(byte[] packed, int offset, int length) {
        int tail = packed[offset + length - 1];
        return 8 * ((length - 1 - tail) / 7) + tail;
    }

    /**
     * Packs the ASCII bytes {@code ascii} into {@code target} at {@code offset}, which must have
     * {@link #packedLength} bytes from there. Bytes beyond 127 lose their top bit.
     */
    public static void pack(byte[] ascii, byte[] target, int offset) {
        int chars = ascii.length;
        int groups = chars >>> 3;
        int in = 0;
        int out = offset;
        for (int g = 0; g < groups; g++, in += 8, out += 7) {
            long x = (long) LONGS.get(ascii, in);
            x = (x & 0x007F_007F_007F_007FL) | ((x & 0x7F00_7F00_7F00_7F00L) >>> 1);
            x = (x & 0x0000_3FFF_0000_3FFFL) | ((x & 0x3FFF_0000_3FFF_0000L) >>> 2);
            x = (x & 0x0000_0000_0FFF_FFFFL) | ((x & 0x0FFF_FFFF_0000_0000L) >>> 4);
            // Writes 8 bytes, the last of them 0: the next group, the tail or the length byte overwrites it.
            LONGS.set(target, out, x);
        }
        int tail = chars & 7;
        for (int i = 0; i < tail; i++) {
            target[out++] = (byte) (ascii[in++] & 0x7F);
        }
        target[out] = (byte) tail;
    }

    /** The ASCII bytes, one a character, of the packed text of {@code length} bytes at {@code offset}. */
    public static byte[] unpack(byte[] packed, int offset, int length) {
        byte[] target = new byte[charCount(packed, offset, length)];
        int groups = target.length >>> 3;
        int tail = target.length & 7;
        int in = offset;
        int out = 0;
        for (int g = 0; g < groups; g++, in += 7, out += 8) {
            // Reads 8 bytes, of which the last belongs to the next group, the tail or the length byte.
            long x = (long) LONGS.get(packed, in) & SEVEN_BYTES;
            x = (x & 0x0000_0000_0FFF_FFFFL) | ((x << 4) & 0x0FFF_FFFF_0000_0000L);
            x = (x & 0x0000_3FFF_0000_3FFFL) | ((x << 2) & 0x3FFF_0000_3FFF_0000L);
            x = (x & 0x007F_007F_007F_007FL) | ((x << 1) & 0x7F00_7F00_7F00_7F00L);
            LONGS.set(target, out, x);
        }
        System.arraycopy(packed, in, target, out, tail);
        return target;
    }
}
