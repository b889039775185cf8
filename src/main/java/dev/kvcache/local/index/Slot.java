package dev.kvcache.local.index;

/**
 * One slot of the {@link KeyIndex}: a {@code long} that names where an entry is and carries what the policy needs
 * of it, so that finding an entry reads no Java object.
 * <pre>
 * bits 63..43  tag        21 bits of the key's hash that the bucket's choice does not use
 * bits 42..41  frequency  reads since it was written or last moved, counted up to 3 (S3-FIFO's counter)
 * bits 40..20  offset     of the entry in its segment, in units of 8 bytes (segments of at most 16 MiB)
 * bits 19..0   segment    its number, plus 1 (at most 1,048,574 segments), so that no slot in use is 0
 * </pre>
 * The low 41 bits (offset and segment) are the entry's <em>place</em>: no two live entries share one.
 */
public final class Slot {

    static final int SEGMENT_BITS = 20;
    static final int OFFSET_BITS = 21;
    private static final int FREQUENCY_SHIFT = SEGMENT_BITS + OFFSET_BITS;
    private static final int TAG_SHIFT = FREQUENCY_SHIFT + 2;
    private static final long PLACE_MASK = (1L << FREQUENCY_SHIFT) - 1;

    /** The most segments a slot can name. */
    public static final int MAX_SEGMENTS = (1 << SEGMENT_BITS) - 2;
    /** The largest segment a slot can point into, in bytes. */
    public static final int MAX_SEGMENT_SIZE = 8 << OFFSET_BITS;
    /** The most reads a slot counts. */
    public static final int MAX_FREQUENCY = 3;

    private Slot() {
    }

    /** The place of an entry at {@code offset} (a multiple of 8) in segment {@code segment}. */
    public static long place(int segment, int offset) {
        return (long) (offset >>> 3) << SEGMENT_BITS | (segment + 1);
    }

    /** A slot for the entry of this key hash at this place, with this frequency. */
    public static long word(long hash, long place, int frequency) {
        return (long) tag(hash) << TAG_SHIFT | (long) frequency << FREQUENCY_SHIFT | place;
    }

    public static long place(long word) {
        return word & PLACE_MASK;
    }

    public static int segment(long word) {
        return (int) (word & ((1L << SEGMENT_BITS) - 1)) - 1;
    }

    public static int offset(long word) {
        return (int) (word >>> SEGMENT_BITS & ((1L << OFFSET_BITS) - 1)) << 3;
    }

    public static int frequency(long word) {
        return (int) (word >>> FREQUENCY_SHIFT) & 3;
    }

    static long withFrequency(long word, int frequency) {
        return word & ~(3L << FREQUENCY_SHIFT) | (long) frequency << FREQUENCY_SHIFT;
    }

    /** The tag of a key hash: its top bits, which {@link KeyIndex}'s choice of bucket (its low bits) leaves alone. */
    static int tag(long hash) {
        return (int) (hash >>> TAG_SHIFT);
    }

    static boolean hasTag(long word, int tag) {
        return (int) (word >>> TAG_SHIFT) == tag;
    }
}
