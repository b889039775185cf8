package dev.kvcache.snapshot;

import java.nio.ByteBuffer;

/**
 * One segment read from a verified frame. The reader hands out the same instance for every segment, valid only
 * during the call: its {@link #entries()} are a read-only view of the reader's buffer.
 */
public final class SnapshotSegment {

    /** The most bytes of entries one segment frame holds: the largest segment a store makes. */
    public static final int MAX_ENTRY_BYTES = 16 << 20;
    /** The longest packed key or value: 65,536 characters packed 8 into 7 bytes, and a length byte. */
    static final int MAX_PACKED_LENGTH = 57_345;
    /** An entry's header: packed key length (u16), packed value length (u16), expiry (i64). */
    static final int ENTRY_HEADER_SIZE = 12;
    /** Entries start at multiples of this. */
    static final int ENTRY_ALIGNMENT = 8;

    private ByteBuffer entries;
    private int count;
    private int kind;
    private int ttlClass;
    private long lastMark;

    SnapshotSegment() {
    }

    void set(ByteBuffer entries, int count, int kind, int ttlClass, long lastMark) {
        this.entries = entries;
        this.count = count;
        this.kind = kind;
        this.ttlClass = ttlClass;
        this.lastMark = lastMark;
    }

    /** The entries, from position 0 to the limit, little-endian. */
    public ByteBuffer entries() {
        return entries;
    }

    public int count() {
        return count;
    }

    public int kind() {
        return kind;
    }

    public int ttlClass() {
        return ttlClass;
    }

    public long lastMark() {
        return lastMark;
    }

    /** Bytes an entry of these packed lengths takes, padding included. */
    public static int entrySize(int packedKeyLength, int packedValueLength) {
        return (ENTRY_HEADER_SIZE + packedKeyLength + packedValueLength + ENTRY_ALIGNMENT - 1) & -ENTRY_ALIGNMENT;
    }

    /** Whether {@code count} entries, with lengths in bounds, exactly fill the bytes from position to limit. */
    static boolean entriesFill(ByteBuffer entries, int count) {
        int position = entries.position();
        int end = entries.limit();
        for (int i = 0; i < count; i++) {
            if (end - position < ENTRY_HEADER_SIZE) {
                return false;
            }
            int keyLength = entries.getShort(position) & 0xFFFF;
            int valueLength = entries.getShort(position + 2) & 0xFFFF;
            if (keyLength == 0 || valueLength == 0 || keyLength > MAX_PACKED_LENGTH
                    || valueLength > MAX_PACKED_LENGTH || entrySize(keyLength, valueLength) > end - position) {
                return false;
            }
            position += entrySize(keyLength, valueLength);
        }
        return position == end;
    }
}
