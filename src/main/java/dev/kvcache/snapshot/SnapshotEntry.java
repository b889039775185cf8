package dev.kvcache.snapshot;

import java.nio.ByteBuffer;

/**
 * One entry read from a verified block. The reader hands out the same instance for every entry, so it is valid
 * only during the call; {@link #key()} and {@link #value()} copy the bytes, and a caller that skips an entry
 * (expired, too old for the budget) never pays for the copy.
 */
public final class SnapshotEntry {

    private ByteBuffer block;
    private int keyOffset;
    private int keyLength;
    private int valueLength;
    private long expiresAtEpochMillis;
    private long writeMark;

    SnapshotEntry() {
    }

    void set(ByteBuffer block, int keyOffset, int keyLength, int valueLength, long expiresAtEpochMillis,
            long writeMark) {
        this.block = block;
        this.keyOffset = keyOffset;
        this.keyLength = keyLength;
        this.valueLength = valueLength;
        this.expiresAtEpochMillis = expiresAtEpochMillis;
        this.writeMark = writeMark;
    }

    public int keyLength() {
        return keyLength;
    }

    public int valueLength() {
        return valueLength;
    }

    /** When the entry expires; 0 for never. */
    public long expiresAtEpochMillis() {
        return expiresAtEpochMillis;
    }

    /** Whether the entry has expired at the given time (an entry expiring exactly now has). */
    public boolean expiredAt(long nowEpochMillis) {
        return expiresAtEpochMillis != 0 && expiresAtEpochMillis <= nowEpochMillis;
    }

    /** A larger number for an entry written later. */
    public long writeMark() {
        return writeMark;
    }

    /** A new array with the key's bytes. */
    public byte[] key() {
        byte[] key = new byte[keyLength];
        block.get(keyOffset, key);
        return key;
    }

    /** A new array with the value's bytes. */
    public byte[] value() {
        byte[] value = new byte[valueLength];
        block.get(keyOffset + keyLength, value);
        return value;
    }
}
