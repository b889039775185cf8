package dev.kvcache.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

import static dev.kvcache.snapshot.SnapshotFormat.BLOCK;
import static dev.kvcache.snapshot.SnapshotFormat.ENTRY_HEADER_SIZE;
import static dev.kvcache.snapshot.SnapshotFormat.FRAME_HEADER_SIZE;
import static dev.kvcache.snapshot.SnapshotFormat.HEADER_CHECKSUM_OFFSET;
import static dev.kvcache.snapshot.SnapshotFormat.HEADER_SIZE;
import static dev.kvcache.snapshot.SnapshotFormat.MAGIC;
import static dev.kvcache.snapshot.SnapshotFormat.MAX_BLOCK_DATA;
import static dev.kvcache.snapshot.SnapshotFormat.MAX_LENGTH;
import static dev.kvcache.snapshot.SnapshotFormat.SEGMENT;
import static dev.kvcache.snapshot.SnapshotFormat.SEGMENT_META_SIZE;
import static dev.kvcache.snapshot.SnapshotFormat.TRAILER;
import static dev.kvcache.snapshot.SnapshotFormat.TRAILER_BODY_SIZE;
import static dev.kvcache.snapshot.SnapshotFormat.VERSION;
import static dev.kvcache.snapshot.SnapshotFormat.VERSION_ENTRIES;

/**
 * Reads a snapshot frame by frame: each block of entries (or segment) is read whole into one direct buffer, its
 * checksum and the lengths of its entries are checked, and only then are its entries handed out. Stops at the
 * first defect. Reads version 1 (blocks only) and version 2 (blocks and segments).
 */
final class SnapshotReader {

    private final Path file;
    private final FileChannel channel;
    private final Consumer<? super SnapshotEntry> consumer;
    /** Takes the segments; null to pass over them (counted all the same). */
    private final Consumer<? super SnapshotSegment> segments;
    private final SnapshotSegment segment = new SnapshotSegment();
    private int version;
    /** The frame being verified; no larger than the file, so that reading a small file allocates little. */
    private ByteBuffer frame;
    private int capacity;
    private final CRC32C checksum = new CRC32C();
    private final SnapshotEntry entry = new SnapshotEntry();
    /** Where the next read starts in the file. */
    private long offset;
    private long entries;
    private long entryBytes;
    private long blocks;
    private long createdAtEpochMillis;

    private SnapshotReader(Path file, FileChannel channel, Consumer<? super SnapshotEntry> consumer,
            Consumer<? super SnapshotSegment> segments) {
        this.file = file;
        this.channel = channel;
        this.consumer = consumer;
        this.segments = segments;
    }

    /** Hands the entries of every verified block to the consumer; an exception of the consumer goes to the caller. */
    static ReadResult read(Path file, Consumer<? super SnapshotEntry> consumer) {
        return read(file, consumer, null);
    }

    /**
     * Hands the entries of every verified block to {@code consumer} and every verified segment to {@code segments};
     * an exception of either goes to the caller.
     */
    static ReadResult read(Path file, Consumer<? super SnapshotEntry> consumer,
            Consumer<? super SnapshotSegment> segments) {
        if (Files.isDirectory(file)) {
            return defective(file, "is a directory, not a snapshot file");
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        }
        catch (NoSuchFileException ex) {
            return new ReadResult(file, ReadResult.Status.MISSING, 0, 0, 0, 0, null);
        }
        catch (IOException ex) {
            return defective(file, "cannot be opened: " + ex);
        }
        SnapshotReader reader = new SnapshotReader(file, channel, consumer, segments);
        try (channel) {
            return reader.readAll();
        }
        catch (IOException ex) {
            return reader.stop("reading at byte " + reader.offset + " failed: " + ex);
        }
    }

    /** The version in a file's header, if the header verifies; else -1. */
    static int versionOf(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            SnapshotReader reader = new SnapshotReader(file, channel, entry -> { }, null);
            reader.frame = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            reader.capacity = HEADER_SIZE;
            String problem = reader.readHeader();
            return problem == null || problem.startsWith("incompatible") ? reader.version : -1;
        }
        catch (IOException ex) {
            return -1;
        }
    }

    private static ReadResult defective(Path file, String problem) {
        return new ReadResult(file, ReadResult.Status.DEFECTIVE, 0, 0, 0, 0, problem);
    }

    private ReadResult stop(String problem) {
        return new ReadResult(file, ReadResult.Status.DEFECTIVE, entries, entryBytes, blocks, createdAtEpochMillis,
                problem);
    }

    private ReadResult readAll() throws IOException {
        long size = channel.size();
        if (size == 0) {
            return stop("empty file");
        }
        capacity = (int) Math.min(FRAME_HEADER_SIZE + MAX_BLOCK_DATA, Math.max(size, HEADER_SIZE));
        frame = ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN);
        String headerProblem = readHeader();
        if (headerProblem != null) {
            return stop(headerProblem);
        }
        while (true) {
            int headerBytes = readAt(0, FRAME_HEADER_SIZE);
            if (headerBytes == 0) {
                return stop("truncated: ends at byte " + offset + " after " + blocks + " blocks, without a trailer");
            }
            if (headerBytes < FRAME_HEADER_SIZE) {
                return stop("truncated: ends inside the frame header at byte " + offset);
            }
            int kind = frame.getInt(4);
            long length = Integer.toUnsignedLong(frame.getInt(8));
            int count = frame.getInt(12);
            String name = kind == TRAILER ? "the trailer" : (kind == SEGMENT ? "segment " : "block ") + blocks;
            if (kind != BLOCK && kind != TRAILER && (kind != SEGMENT || version == VERSION_ENTRIES)
                    || kind == BLOCK && length > MAX_BLOCK_DATA
                    || kind == SEGMENT && (length < SEGMENT_META_SIZE
                            || length > SEGMENT_META_SIZE + SnapshotSegment.MAX_ENTRY_BYTES)
                    || kind == TRAILER && length != TRAILER_BODY_SIZE) {
                return stop("damaged frame header at byte " + offset + " (kind " + kind + ", length " + length + ")");
            }
            if (length > capacity - FRAME_HEADER_SIZE && length < channel.size()) { // a segment: a larger buffer
                capacity = FRAME_HEADER_SIZE + (int) length;
                frame = ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN);
                readAt(0, FRAME_HEADER_SIZE);
            }
            // A body longer than the buffer is longer than the file: reading what there is tells how much.
            int bodyBytes = readAt(FRAME_HEADER_SIZE, (int) Math.min(length, capacity - FRAME_HEADER_SIZE));
            if (bodyBytes < length) {
                return stop("truncated: ends inside " + name + " at byte " + offset + " (" + bodyBytes + " of "
                        + length + " bytes)");
            }
            checksum.reset();
            checksum.update(frame.limit(FRAME_HEADER_SIZE + (int) length).position(4));
            if ((int) checksum.getValue() != frame.getInt(0)) {
                return stop("checksum mismatch in " + name + " at byte " + offset);
            }
            if (kind == TRAILER) {
                return checkTrailer(count);
            }
            if (kind == SEGMENT) {
                ByteBuffer body = frame.duplicate().order(ByteOrder.LITTLE_ENDIAN)
                        .limit(FRAME_HEADER_SIZE + (int) length).position(FRAME_HEADER_SIZE + SEGMENT_META_SIZE);
                if (!SnapshotSegment.entriesFill(body.duplicate().order(ByteOrder.LITTLE_ENDIAN), count)) {
                    return stop(name + " at byte " + offset + " has a valid checksum but its " + count
                            + " entries do not fill its " + (length - SEGMENT_META_SIZE) + " bytes");
                }
                deliverSegment(body.slice().order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer()
                        .order(ByteOrder.LITTLE_ENDIAN), count);
                offset += FRAME_HEADER_SIZE + length;
                continue;
            }
            if (!entriesFill((int) length, count)) {
                return stop("block " + blocks + " at byte " + offset + " has a valid checksum but its " + count
                        + " entries do not fill its " + length + " bytes");
            }
            deliver(count);
            offset += FRAME_HEADER_SIZE + length;
        }
    }

    /** The problem with the header, or null if it is a snapshot of this version. */
    private String readHeader() throws IOException {
        int read = readAt(0, HEADER_SIZE);
        int magicBytes = Math.min(read, MAGIC.length);
        boolean magicMatches = Arrays.equals(MAGIC, 0, magicBytes, bytesAt(0, magicBytes), 0, magicBytes);
        if (!magicMatches) {
            return "not a snapshot (it does not start with the magic number)";
        }
        if (read < HEADER_SIZE) {
            return "truncated: ends inside the header (" + read + " of " + HEADER_SIZE + " bytes)";
        }
        checksum.reset();
        checksum.update(frame.limit(HEADER_CHECKSUM_OFFSET).position(0));
        frame.limit(HEADER_SIZE);
        if ((int) checksum.getValue() != frame.getInt(HEADER_CHECKSUM_OFFSET)) {
            return "checksum mismatch in the header";
        }
        version = frame.getInt(MAGIC.length);
        if (version != VERSION && version != VERSION_ENTRIES) {
            return "incompatible format version " + Integer.toUnsignedString(version) + " (this build reads versions "
                    + VERSION_ENTRIES + " and " + VERSION + ")";
        }
        createdAtEpochMillis = frame.getLong(MAGIC.length + 4);
        offset = HEADER_SIZE;
        return null;
    }

    /** Whether the block's entries, with lengths in bounds, exactly fill its body. */
    private boolean entriesFill(int length, int count) {
        int position = FRAME_HEADER_SIZE;
        int end = FRAME_HEADER_SIZE + length;
        for (int i = 0; i < count; i++) {
            if (end - position < ENTRY_HEADER_SIZE) {
                return false;
            }
            long keyLength = Integer.toUnsignedLong(frame.getInt(position));
            long valueLength = Integer.toUnsignedLong(frame.getInt(position + 4));
            if (keyLength > MAX_LENGTH || valueLength > MAX_LENGTH
                    || ENTRY_HEADER_SIZE + keyLength + valueLength > end - position) {
                return false;
            }
            position += ENTRY_HEADER_SIZE + (int) (keyLength + valueLength);
        }
        return position == end;
    }

    private void deliverSegment(ByteBuffer body, int count) {
        int at = FRAME_HEADER_SIZE;
        if (segments != null) {
            segment.set(body, count, frame.get(at) & 0xFF, frame.get(at + 1) & 0xFF, frame.getLong(at + 8));
            segments.accept(segment);
        }
        blocks++;
        entries += count;
        entryBytes += body.limit();
    }

    private void deliver(int count) {
        int position = FRAME_HEADER_SIZE;
        long bytes = 0;
        for (int i = 0; i < count; i++) {
            int keyLength = frame.getInt(position);
            int valueLength = frame.getInt(position + 4);
            entry.set(frame, position + ENTRY_HEADER_SIZE, keyLength, valueLength, frame.getLong(position + 8),
                    frame.getLong(position + 16));
            consumer.accept(entry);
            position += ENTRY_HEADER_SIZE + keyLength + valueLength;
            bytes += keyLength + valueLength;
        }
        blocks++;
        entries += count;
        entryBytes += bytes;
    }

    private ReadResult checkTrailer(int trailerBlocks) throws IOException {
        long trailerEntries = frame.getLong(FRAME_HEADER_SIZE);
        long trailerEntryBytes = frame.getLong(FRAME_HEADER_SIZE + 8);
        if (Integer.toUnsignedLong(trailerBlocks) != blocks || trailerEntries != entries
                || trailerEntryBytes != entryBytes) {
            return stop("the trailer counts " + trailerEntries + " entries (" + trailerEntryBytes + " bytes) in "
                    + Integer.toUnsignedLong(trailerBlocks) + " blocks, the file holds " + entries + " ("
                    + entryBytes + " bytes) in " + blocks);
        }
        offset += FRAME_HEADER_SIZE + TRAILER_BODY_SIZE;
        long extra = channel.size() - offset;
        if (extra > 0) {
            return stop(extra + " bytes after the trailer");
        }
        return new ReadResult(file, ReadResult.Status.COMPLETE, entries, entryBytes, blocks, createdAtEpochMillis,
                null);
    }

    /**
     * Reads up to length bytes of the file, from the current offset (which it does not move), into the buffer at
     * the given position; fewer only at the end of the file.
     */
    private int readAt(int position, int length) throws IOException {
        frame.limit(position + length).position(position);
        long at = offset + position;
        while (frame.hasRemaining()) {
            int read = channel.read(frame, at);
            if (read < 0) {
                break;
            }
            at += read;
        }
        return frame.position() - position;
    }

    private byte[] bytesAt(int position, int length) {
        byte[] bytes = new byte[length];
        frame.get(position, bytes);
        return bytes;
    }
}
