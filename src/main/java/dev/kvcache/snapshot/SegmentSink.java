package dev.kvcache.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Takes a store's segments for a snapshot, one at a time, entries as the segment lays them out. */
public interface SegmentSink {

    /**
     * Adds one segment; the sink has written its bytes before it returns, so the caller may reuse the buffer.
     *
     * @param entries the segment's entries, from the buffer's position to its limit, in the layout of
     *     {@code package-info.java}; at most {@link SnapshotSegment#MAX_ENTRY_BYTES} bytes
     * @param count how many entries they are
     * @param kind the store's kind of segment (0 to 255)
     * @param ttlClass the store's class of time to live of its entries (0 to 255)
     * @param lastMark the newest write mark of its entries: a larger number for a segment written later
     * @throws IllegalArgumentException if the entries do not fill the bytes given, or the numbers are out of range
     * @throws IOException if the file cannot be written
     */
    void addSegment(ByteBuffer entries, int count, int kind, int ttlClass, long lastMark) throws IOException;
}
