package dev.kvcache.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.kvcache.snapshot.SnapshotFormat.FRAME_HEADER_SIZE;
import static dev.kvcache.snapshot.SnapshotFormat.HEADER_SIZE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Every kind of bad file is reported as defective with a reason, and delivers nothing but the entries of the
 * blocks that verified before the defect. The sample file has a known layout: 95 entries of 64 bytes (10-byte key,
 * 30-byte value, 24-byte entry header) in blocks of 10, so 9 full blocks and one of 5, then the trailer.
 */
class SnapshotDefectTests {

    private static final int ENTRIES = 95;
    private static final int PER_BLOCK = 10;
    private static final int ENTRY_SIZE = SnapshotFormat.ENTRY_HEADER_SIZE + 10 + 30;
    private static final int FULL_BLOCK_SIZE = FRAME_HEADER_SIZE + PER_BLOCK * ENTRY_SIZE;
    private static final int TRAILER_SIZE = FRAME_HEADER_SIZE + SnapshotFormat.TRAILER_BODY_SIZE;

    @TempDir
    Path directory;

    private final List<TestEntry> entries = new ArrayList<>();
    private Path file;
    private byte[] original;
    /** Where each block ends in the file, and how many entries come before that end. */
    private final List<long[]> blockEnds = new ArrayList<>();

    @BeforeEach
    void writeSample() throws IOException {
        for (int i = 0; i < ENTRIES; i++) {
            entries.add(new TestEntry("key-%06d".formatted(i), ("value " + i + "\0").repeat(10).substring(0, 30),
                    i % 3 == 0 ? 0 : 1_700_000_000_000L + i, 1000 + i));
        }
        WriteSummary summary = TestEntry.write(directory, entries, PER_BLOCK * ENTRY_SIZE);
        file = summary.file();
        original = Files.readAllBytes(file);
        long end = HEADER_SIZE;
        for (int delivered = PER_BLOCK; delivered < ENTRIES + PER_BLOCK; delivered += PER_BLOCK) {
            int inBlock = Math.min(PER_BLOCK, ENTRIES - (delivered - PER_BLOCK));
            end += FRAME_HEADER_SIZE + (long) inBlock * ENTRY_SIZE;
            blockEnds.add(new long[] { end, Math.min(delivered, ENTRIES) });
        }
        assertThat(summary.blocks()).isEqualTo(10);
        assertThat(original).hasSize((int) end + TRAILER_SIZE);
    }

    /** The entries of the blocks that end at or before the offset: all a reader may deliver. */
    private int verifiableBefore(long offset) {
        int delivered = 0;
        for (long[] block : blockEnds) {
            if (block[0] <= offset) {
                delivered = (int) block[1];
            }
        }
        return delivered;
    }

    /**
     * Offsets worth damaging: every byte of the header, of each frame header and of the trailer, and every 7th
     * byte of the rest, which, 7 being prime to the 64-byte entries, reaches every position within an entry.
     */
    private List<Integer> offsetsToDamage() {
        List<Integer> offsets = new ArrayList<>();
        for (int offset = 0; offset < original.length; offset++) {
            boolean structure = offset < HEADER_SIZE || offset >= original.length - TRAILER_SIZE;
            for (long[] block : blockEnds) {
                structure |= offset >= block[0] && offset < block[0] + FRAME_HEADER_SIZE;
            }
            structure |= offset < HEADER_SIZE + FRAME_HEADER_SIZE;
            if (structure || offset % 7 == 0) {
                offsets.add(offset);
            }
        }
        return offsets;
    }

    private TestEntry.Read readWith(byte[] bytes) throws IOException {
        Files.write(file, bytes);
        return TestEntry.read(file);
    }

    private static void assertDefective(TestEntry.Read read, String reason) {
        assertThat(read.result().status()).isEqualTo(ReadResult.Status.DEFECTIVE);
        assertThat(read.result().problem()).contains(reason);
        assertThat(read.result().entries()).isEqualTo(read.entries().size());
    }

    @Test
    void theSampleIsCompleteBeforeItIsDamaged() {
        TestEntry.Read read = TestEntry.read(file);
        assertThat(read.result().complete()).isTrue();
        assertThat(read.entries()).containsExactlyElementsOf(entries);
    }

    @Test
    void aFileCutAnywhereIsTruncatedAndDeliversOnlyTheWholeBlocksBeforeTheCut() throws IOException {
        for (int length : offsetsToDamage()) {
            if (length == 0) {
                continue; // an empty file, tested on its own
            }
            TestEntry.Read read = readWith(Arrays.copyOf(original, length));
            assertDefective(read, "truncated");
            assertThat(read.entries()).as("cut at %d", length)
                    .containsExactlyElementsOf(entries.subList(0, verifiableBefore(length)));
        }
    }

    @Test
    void theReasonSaysWhereTheFileWasCut() throws IOException {
        assertDefective(readWith(Arrays.copyOf(original, 4)), "ends inside the header (4 of 24 bytes)");
        assertDefective(readWith(Arrays.copyOf(original, 12)), "ends inside the header (12 of 24 bytes)");
        assertDefective(readWith(Arrays.copyOf(original, HEADER_SIZE)), "ends at byte 24 after 0 blocks, without a trailer");
        assertDefective(readWith(Arrays.copyOf(original, HEADER_SIZE + 8)), "ends inside the frame header at byte 24");
        assertDefective(readWith(Arrays.copyOf(original, HEADER_SIZE + FULL_BLOCK_SIZE + 100)),
                "ends inside block 1 at byte " + (HEADER_SIZE + FULL_BLOCK_SIZE) + " (84 of 640 bytes)");
        assertDefective(readWith(Arrays.copyOf(original, original.length - 8)), "ends inside the trailer");
        TestEntry.Read atTheTrailer = readWith(Arrays.copyOf(original, original.length - TRAILER_SIZE));
        assertDefective(atTheTrailer, "after 10 blocks, without a trailer");
        assertThat(atTheTrailer.entries()).containsExactlyElementsOf(entries);
    }

    @Test
    void aFlippedBitAnywhereIsDetectedAndNoEntryOfItsBlockIsDelivered() throws IOException {
        for (int offset : offsetsToDamage()) {
            byte[] damaged = original.clone();
            damaged[offset] ^= (byte) (1 << (offset % 8));
            TestEntry.Read read = readWith(damaged);
            assertThat(read.result().status()).as("bit %d of byte %d", offset % 8, offset)
                    .isEqualTo(ReadResult.Status.DEFECTIVE);
            assertThat(read.entries()).as("bit %d of byte %d", offset % 8, offset)
                    .containsExactlyElementsOf(entries.subList(0, verifiableBefore(offset)));
        }
    }

    @Test
    void aFlippedBitIsNamedAsAChecksumMismatch() throws IOException {
        byte[] inHeader = original.clone();
        inHeader[15] ^= 1;
        assertDefective(readWith(inHeader), "checksum mismatch in the header");
        byte[] inBlock = original.clone();
        inBlock[HEADER_SIZE + FULL_BLOCK_SIZE * 3 + 300] ^= 4;
        assertDefective(readWith(inBlock), "checksum mismatch in block 3 at byte " + (HEADER_SIZE + FULL_BLOCK_SIZE * 3));
        byte[] inTrailer = original.clone();
        inTrailer[original.length - 3] ^= 2;
        TestEntry.Read read = readWith(inTrailer);
        assertDefective(read, "checksum mismatch in the trailer");
        assertThat(read.entries()).containsExactlyElementsOf(entries);
    }

    @Test
    void aMissingBlockIsCaughtByTheTrailer() throws IOException {
        int blockStart = HEADER_SIZE + FULL_BLOCK_SIZE * 3;
        byte[] spliced = new byte[original.length - FULL_BLOCK_SIZE];
        System.arraycopy(original, 0, spliced, 0, blockStart);
        System.arraycopy(original, blockStart + FULL_BLOCK_SIZE, spliced, blockStart,
                original.length - blockStart - FULL_BLOCK_SIZE);
        TestEntry.Read read = readWith(spliced);
        assertDefective(read, "the trailer counts 95 entries (3800 bytes) in 10 blocks, the file holds 85");
    }

    @Test
    void bytesAfterTheTrailerAreADefect() throws IOException {
        byte[] longer = Arrays.copyOf(original, original.length + 3);
        TestEntry.Read read = readWith(longer);
        assertDefective(read, "3 bytes after the trailer");
        assertThat(read.entries()).containsExactlyElementsOf(entries);
    }

    @Test
    void anIncompatibleVersionIsNamed() throws IOException {
        byte[] header = Arrays.copyOf(original, HEADER_SIZE);
        ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 3);
        byte[] future = original.clone();
        System.arraycopy(withHeaderChecksum(header), 0, future, 0, HEADER_SIZE);
        TestEntry.Read read = readWith(future);
        assertDefective(read, "incompatible format version 3 (this build reads versions 1 and 2)");
        assertThat(read.entries()).isEmpty();
    }

    @Test
    void randomBytesAreNotASnapshot() throws IOException {
        byte[] noise = new byte[10_000];
        new Random(3).nextBytes(noise);
        noise[0] = 0; // not by chance the magic number's first byte
        TestEntry.Read read = readWith(noise);
        assertDefective(read, "not a snapshot");
        assertThat(read.entries()).isEmpty();
    }

    @Test
    void aTextFileIsNotASnapshot() throws IOException {
        assertDefective(readWith("kvcache.snapshot.dir=/data\n".getBytes(StandardCharsets.US_ASCII)), "not a snapshot");
        assertDefective(readWith("KV".getBytes(StandardCharsets.US_ASCII)), "not a snapshot");
    }

    @Test
    void anEmptyFileIsNamedAsSuch() throws IOException {
        assertDefective(readWith(new byte[0]), "empty file");
    }

    @Test
    void aDirectoryWhereTheFileShouldBeIsDefective() throws IOException {
        Files.delete(file);
        Files.createDirectory(file);
        assertDefective(TestEntry.read(file), "is a directory");
    }

    @Test
    void anUnreadableFileIsDefective() throws IOException {
        assumeThat(System.getProperty("user.name")).as("root reads files whatever their mode").isNotEqualTo("root");
        assumeThat(file.getFileSystem().supportedFileAttributeViews()).contains("posix");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        assertDefective(TestEntry.read(file), "cannot be opened");
    }

    @Test
    void aLengthAboveTheLimitIsCorruptionEvenUnderAValidChecksum() throws IOException {
        ByteBuffer body = ByteBuffer.allocate(SnapshotFormat.ENTRY_HEADER_SIZE + 65_537).order(ByteOrder.LITTLE_ENDIAN);
        body.putInt(65_537).putInt(0).putLong(0).putLong(1);
        byte[] bad = concat(Arrays.copyOf(original, HEADER_SIZE + FULL_BLOCK_SIZE), frame(1, 1, body.array()));
        TestEntry.Read read = readWith(bad);
        assertDefective(read, "block 1 at byte " + (HEADER_SIZE + FULL_BLOCK_SIZE)
                + " has a valid checksum but its 1 entries do not fill its 65561 bytes");
        assertThat(read.entries()).containsExactlyElementsOf(entries.subList(0, PER_BLOCK));
    }

    @Test
    void entriesThatDoNotFillTheirBlockAreCorruptionEvenUnderAValidChecksum() throws IOException {
        byte[] firstBlockBody = Arrays.copyOfRange(original, HEADER_SIZE + FRAME_HEADER_SIZE, HEADER_SIZE + FULL_BLOCK_SIZE);
        // The same entries counted as 11, and as 9: both miss the block's end.
        for (int count : new int[] { PER_BLOCK + 1, PER_BLOCK - 1 }) {
            TestEntry.Read read = readWith(concat(Arrays.copyOf(original, HEADER_SIZE), frame(1, count, firstBlockBody)));
            assertDefective(read, "do not fill");
            assertThat(read.entries()).isEmpty();
        }
    }

    @Test
    void anUnknownFrameKindIsADamagedHeader() throws IOException {
        TestEntry.Read read = readWith(concat(Arrays.copyOf(original, HEADER_SIZE), frame(7, 0, new byte[0])));
        assertDefective(read, "damaged frame header at byte 24 (kind 7");
    }

    /** A frame with a valid checksum, whatever its content. */
    private static byte[] frame(int kind, int count, byte[] body) {
        ByteBuffer frame = ByteBuffer.allocate(FRAME_HEADER_SIZE + body.length).order(ByteOrder.LITTLE_ENDIAN);
        frame.putInt(0).putInt(kind).putInt(body.length).putInt(count).put(body);
        CRC32C crc = new CRC32C();
        crc.update(frame.array(), 4, frame.capacity() - 4);
        return frame.putInt(0, (int) crc.getValue()).array();
    }

    private static byte[] withHeaderChecksum(byte[] header) {
        CRC32C crc = new CRC32C();
        crc.update(header, 0, SnapshotFormat.HEADER_CHECKSUM_OFFSET);
        ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).putInt(SnapshotFormat.HEADER_CHECKSUM_OFFSET,
                (int) crc.getValue());
        return header;
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }
}
