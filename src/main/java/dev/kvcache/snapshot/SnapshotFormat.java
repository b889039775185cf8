package dev.kvcache.snapshot;

/** The constants of the file format described in {@code package-info.java}. */
final class SnapshotFormat {

    static final byte[] MAGIC = { (byte) 0x89, 'K', 'V', 'S', 'N', 'A', 'P', '\n' };
    static final int VERSION = 1;
    /** magic, version, creation time, checksum. */
    static final int HEADER_SIZE = 24;
    static final int HEADER_CHECKSUM_OFFSET = 20;

    /** checksum, kind, body length, count. */
    static final int FRAME_HEADER_SIZE = 16;
    static final int BLOCK = 1;
    static final int TRAILER = 2;
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
