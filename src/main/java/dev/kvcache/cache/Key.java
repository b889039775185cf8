package dev.kvcache.cache;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A key held as its ASCII characters packed at 7 bits each ({@link PackedAscii}): a 256-character key takes a
 * 240-byte array where a {@code String} would take 272 and more. Equal keys pack into equal bytes, so equality,
 * hash and order are those of the packed bytes. Comparable, so that ConcurrentHashMap can keep colliding keys
 * in a balanced tree: crafted collisions cost O(log n), not O(n).
 */
final class Key implements Comparable<Key> {

    private final byte[] bytes;
    private final int hash;

    private Key(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** The key of an ASCII string (checked by the caller). */
    static Key of(String ascii) {
        return ofAscii(ascii.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** The key of these ASCII bytes, one a character. */
    static Key ofAscii(byte[] ascii) {
        byte[] packed = new byte[PackedAscii.packedLength(ascii.length)];
        PackedAscii.pack(ascii, packed, 0);
        return new Key(packed);
    }

    /** Bytes of the packed array (what the key weighs, besides the array's header). */
    int packedLength() {
        return bytes.length;
    }

    /** The key's ASCII bytes, one a character, in a new array. */
    byte[] ascii() {
        return PackedAscii.unpack(bytes, 0, bytes.length);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Key key && Arrays.equals(bytes, key.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public int compareTo(Key other) {
        return Arrays.compare(bytes, other.bytes);
    }

    @Override
    public String toString() {
        return new String(ascii(), StandardCharsets.ISO_8859_1);
    }
}
