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
import static dev.kvcache.snapshot.SnapshotFormat.TRAILER;
import static dev.kvcache.snapshot.SnapshotFormat.TRAILER_BODY_SIZE;
import static dev.kvcache.snapshot.SnapshotFormat.VERSION;

/**
 * Reads a snapshot block by block: each block is read whole into one direct buffer, its checksum and the
 * lengths of its entries are checked, and only then are its entries handed out. Stops at the first defect.
 */
final class SnapshotReader {

    private final Path file;
    private final FileChannel channel;
    private final Consumer<? super SnapshotEntry> consumer;
    /** The frame being verified; no larger than the file, so that reading a small file allocates little. */
    private ByteBuffer frame;
    private final CRC32C checksum = new CRC32C();
    private final SnapshotEntry entry = new SnapshotEntry();
    /** Where the next read starts in the file. */
    private long offset;
    private long entries;
    private long entryBytes;
    private long blocks;
    private long createdAtEpochMillis;

    private SnapshotReader(Path file, FileChannel channel, Consumer<? super SnapshotEntry> consumer) {
        this.file = file;
        this.channel = channel;
        this.consumer = consumer;
    }

    /** Hands the entries of every verified block to the consumer; an exception of the consumer goes to the caller. */
    static ReadResult read(Path file, Consumer<? super SnapshotEntry> consumer) {
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
        SnapshotReader reader = new SnapshotReader(file, channel, consumer);
        try (channel) {
            return reader.readAll();
        }
        catch (IOException ex) {
            return reader.stop("reading at byte " + reader.offset + " failed: " + ex);
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
        int capacity = (int) Math.min(FRAME_HEADER_SIZE + MAX_BLOCK_DATA, Math.max(size, HEADER_SIZE));
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
            String name = kind == BLOCK ? "block " + blocks : "the trailer";
            if (kind != BLOCK && kind != TRAILER
                    || kind == BLOCK && length > MAX_BLOCK_DATA
                    || kind == TRAILER && length != TRAILER_BODY_SIZE) {
                return stop("damaged frame header at byte " + offset + " (kind " + kind + ", length " + length + ")");
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
        int version = frame.getInt(MAGIC.length);
        if (version != VERSION) {
            return "incompatible format version " + Integer.toUnsignedString(version) + " (this build reads version "
                    + VERSION + ")";
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
