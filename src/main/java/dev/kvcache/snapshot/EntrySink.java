package dev.kvcache.snapshot;

import java.io.IOException;

/** Takes the entries of a snapshot one at a time, so a caller can write while it iterates a live map. */
public interface EntrySink {

    /**
     * Adds one entry; the sink copies the bytes before it returns, so the caller may reuse its arrays.
     *
     * @param expiresAtEpochMillis when the entry expires; 0 for never
     * @param writeMark a larger number for an entry written later; decides which entries a small budget keeps
     * @throws IllegalArgumentException if the key or the value is longer than 65,536 bytes
     * @throws IOException if the file cannot be written
     */
    void add(byte[] key, int keyOffset, int keyLength, byte[] value, int valueOffset, int valueLength,
            long expiresAtEpochMillis, long writeMark) throws IOException;

    /** Adds one entry made of the whole key and value arrays. */
    default void add(byte[] key, byte[] value, long expiresAtEpochMillis, long writeMark) throws IOException {
        add(key, 0, key.length, value, 0, value.length, expiresAtEpochMillis, writeMark);
    }
}
