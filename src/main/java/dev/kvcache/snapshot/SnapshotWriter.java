package dev.kvcache.snapshot;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
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

/**
 * Writes a snapshot to a temporary file in its directory, block by block through one direct buffer (no
 * allocation per entry, one write per block); {@link #commit()} forces it to disk and renames it over the real
 * name. Closing without a commit deletes the temporary file. Not thread-safe; one writer per directory at a time,
 * which {@link Snapshots#write} ensures.
 */
final class SnapshotWriter implements EntrySink, SegmentSink, Closeable {

    private final Path temporaryFile;
    private final Path file;
    private final FileChannel channel;
    private final int blockDataLimit;
    /** The frame being filled: its header, then its body. */
    private final ByteBuffer frame;
    private final CRC32C checksum = new CRC32C();
    private int blockEntries;
    private long entries;
    private long entryBytes;
    /** Frames of entries written: blocks and segments. */
    private long blocks;
    private long fileBytes;
    private boolean committed;

    private SnapshotWriter(Path directory, FileChannel channel, int blockDataLimit) {
        this.temporaryFile = Snapshots.temporaryFileIn(directory);
        this.file = Snapshots.fileIn(directory);
        this.channel = channel;
        this.blockDataLimit = blockDataLimit;
        // Room for a block at its limit, and for one entry of the longest key and value whatever the limit.
        int capacity = FRAME_HEADER_SIZE + Math.max(blockDataLimit, ENTRY_HEADER_SIZE + 2 * MAX_LENGTH);
        this.frame = ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Starts a snapshot in the existing directory, replacing a temporary file left by a crash.
     *
     * @param blockDataLimit the most entry bytes per block (tests use small blocks); at most 1 MiB
     */
    static SnapshotWriter open(Path directory, int blockDataLimit) throws IOException {
        if (blockDataLimit <= 0 || blockDataLimit > MAX_BLOCK_DATA) {
            throw new IllegalArgumentException("blockDataLimit must be in 1.." + MAX_BLOCK_DATA);
        }
        Path temporaryFile = Snapshots.temporaryFileIn(directory);
        Files.deleteIfExists(temporaryFile);
        FileChannel channel = FileChannel.open(temporaryFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        SnapshotWriter writer = new SnapshotWriter(directory, channel, blockDataLimit);
        try {
            writer.writeHeader(System.currentTimeMillis());
        }
        catch (IOException | RuntimeException ex) {
            writer.close();
            throw ex;
        }
        return writer;
    }

    @Override
    public void add(byte[] key, int keyOffset, int keyLength, byte[] value, int valueOffset, int valueLength,
            long expiresAtEpochMillis, long writeMark) throws IOException {
        Objects.checkFromIndexSize(keyOffset, keyLength, key.length);
        Objects.checkFromIndexSize(valueOffset, valueLength, value.length);
        if (keyLength > MAX_LENGTH || valueLength > MAX_LENGTH) {
            throw new IllegalArgumentException("Keys and values are at most " + MAX_LENGTH
                    + " bytes, this key has " + keyLength + " and this value " + valueLength);
        }
        if (committed) {
            throw new IllegalStateException("The snapshot is already committed");
        }
        int size = ENTRY_HEADER_SIZE + keyLength + valueLength;
        if (blockEntries > 0 && frame.position() - FRAME_HEADER_SIZE + size > blockDataLimit) {
            writeBlock();
        }
        frame.putInt(keyLength).putInt(valueLength).putLong(expiresAtEpochMillis).putLong(writeMark)
                .put(key, keyOffset, keyLength).put(value, valueOffset, valueLength);
        blockEntries++;
        entries++;
        entryBytes += keyLength + valueLength;
    }

    @Override
    public void addSegment(ByteBuffer segmentEntries, int count, int kind, int ttlClass, long lastMark)
            throws IOException {
        ByteBuffer body = segmentEntries.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (kind < 0 || kind > 255 || ttlClass < 0 || ttlClass > 255 || count < 0
                || body.remaining() > SnapshotSegment.MAX_ENTRY_BYTES || !SnapshotSegment.entriesFill(body, count)) {
            throw new IllegalArgumentException("not a segment: " + count + " entries in " + body.remaining()
                    + " bytes, kind " + kind + ", class " + ttlClass);
        }
        if (committed) {
            throw new IllegalStateException("The snapshot is already committed");
        }
        if (blockEntries > 0) {
            writeBlock();
        }
        int length = SEGMENT_META_SIZE + body.remaining();
        frame.clear().position(FRAME_HEADER_SIZE);
        frame.put((byte) kind).put((byte) ttlClass).putShort((short) 0).putInt(0).putLong(lastMark);
        frame.putInt(4, SEGMENT).putInt(8, length).putInt(12, count);
        checksum.reset();
        checksum.update(frame.flip().position(4));
        checksum.update(body.duplicate());
        frame.putInt(0, (int) checksum.getValue()).position(0);
        ByteBuffer[] parts = { frame, body };
        fileBytes += FRAME_HEADER_SIZE + length;
        while (body.hasRemaining() || frame.hasRemaining()) {
            channel.write(parts);
        }
        frame.clear().position(FRAME_HEADER_SIZE);
        blocks++;
        entries += count;
        entryBytes += length - SEGMENT_META_SIZE;
    }

    /**
     * Writes the last block and the trailer, forces the file to disk, renames it over the real name and syncs
     * the directory, so that the rename survives a power loss too.
     */
    WriteSummary commit() throws IOException {
        if (blockEntries > 0) {
            writeBlock();
        }
        frame.putLong(entries).putLong(entryBytes);
        writeFrame(TRAILER, TRAILER_BODY_SIZE, Math.toIntExact(blocks));
        channel.force(true);
        channel.close();
        Files.move(temporaryFile, file, StandardCopyOption.ATOMIC_MOVE);
        committed = true;
        syncDirectory(file.getParent());
        return new WriteSummary(file, entries, entryBytes, fileBytes, blocks);
    }

    /** Abandons an uncommitted snapshot: its temporary file goes, the previous snapshot stays as it was. */
    @Override
    public void close() throws IOException {
        if (!committed) {
            channel.close();
            Files.deleteIfExists(temporaryFile);
        }
    }

    private void writeHeader(long createdAtEpochMillis) throws IOException {
        frame.clear();
        frame.put(MAGIC).putInt(VERSION).putLong(createdAtEpochMillis);
        checksum.reset();
        checksum.update(frame.flip());
        frame.limit(HEADER_SIZE).putInt(HEADER_CHECKSUM_OFFSET, (int) checksum.getValue()).position(0);
        writeFully();
        frame.clear().position(FRAME_HEADER_SIZE);
    }

    private void writeBlock() throws IOException {
        writeFrame(BLOCK, frame.position() - FRAME_HEADER_SIZE, blockEntries);
        blocks++;
        blockEntries = 0;
    }

    /** Completes the frame header in front of the body that is in the buffer, and writes the frame. */
    private void writeFrame(int kind, int bodyLength, int count) throws IOException {
        int end = frame.position();
        frame.putInt(4, kind).putInt(8, bodyLength).putInt(12, count);
        checksum.reset();
        checksum.update(frame.limit(end).position(4));
        frame.putInt(0, (int) checksum.getValue()).position(0);
        writeFully();
        frame.clear().position(FRAME_HEADER_SIZE);
    }

    private void writeFully() throws IOException {
        fileBytes += frame.remaining();
        while (frame.hasRemaining()) {
            channel.write(frame);
        }
    }

    private static void syncDirectory(Path directory) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(directory, StandardOpenOption.READ);
        }
        catch (IOException ex) {
            return; // Windows opens no directory: its rename is durable without this
        }
        try (channel) {
            channel.force(true);
        }
        catch (IOException ex) {
            throw new IOException("the snapshot is in place, but syncing its directory failed", ex);
        }
    }
}
