package dev.kvcache.snapshot;

/** The constants of the file format described in {@code package-info.java}. */
final class SnapshotFormat {

    static final byte[] MAGIC = { (byte) 0x89, 'K', 'V', 'S', 'N', 'A', 'P', '\n' };
    /** The version written; a reader reads this one and every earlier one. */
    static final int VERSION = 2;
    /** Version 1: blocks of entries only, one byte a character. */
    static final int VERSION_ENTRIES = 1;
    /** magic, version, creation time, checksum. */
    static final int HEADER_SIZE = 24;
    static final int HEADER_CHECKSUM_OFFSET = 20;

    /** checksum, kind, body length, count. */
    static final int FRAME_HEADER_SIZE = 16;
    static final int BLOCK = 1;
    static final int TRAILER = 2;
    /** Version 2 on: a store's segment, its entries as the segment lays them out. */
    static final int SEGMENT = 3;
    /** A segment frame's body starts with: kind (u8), TTL class (u8), reserved zeros (u16, u32), last mark (i64). */
    static final int SEGMENT_META_SIZE = 16;
    /** Entries and entry bytes, two longs. */
    static final int TRAILER_BODY_SIZE = 16;

    /** Most entry bytes in one block: big enough for few syscalls, small enough to hold in memory to verify. */
    static final int MAX_BLOCK_DATA = 1 << 20;
    /** Longest key and longest value the service stores; a longer length in a file means corruption. */
    static final int MAX_LENGTH = 65_536;
    /** key length, value length, expiry, write mark. */
    static final int ENTRY_HEADER_SIZE = 24;

    private SnapshotFormat() {
    }
}
