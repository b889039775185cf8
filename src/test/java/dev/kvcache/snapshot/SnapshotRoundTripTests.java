package dev.kvcache.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What is written comes back the same: bytes, expiry and write mark, in the order written. */
class SnapshotRoundTripTests {

    @TempDir
    Path directory;

    private List<TestEntry> roundTrip(List<TestEntry> entries, int blockDataLimit) throws IOException {
        WriteSummary summary = TestEntry.write(directory, entries, blockDataLimit);
        TestEntry.Read read = TestEntry.read(summary.file());
        assertThat(read.result().status()).isEqualTo(ReadResult.Status.COMPLETE);
        assertThat(read.result().problem()).isNull();
        assertThat(read.result().entries()).isEqualTo(entries.size()).isEqualTo(summary.entries());
        assertThat(read.result().entryBytes()).isEqualTo(summary.entryBytes());
        assertThat(read.result().blocks()).isEqualTo(summary.blocks());
        assertThat(Files.size(summary.file())).isEqualTo(summary.fileBytes());
        assertThat(Files.exists(Snapshots.temporaryFileIn(directory))).isFalse();
        return read.entries();
    }

    @Test
    void everyAsciiCodePointIncludingNulRoundTripsInKeysAndValues() throws IOException {
        byte[] all = new byte[128];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        List<TestEntry> entries = new ArrayList<>();
        entries.add(TestEntry.of(all, all, 0, 1));
        for (int c = 0; c < 128; c++) {
            entries.add(TestEntry.of(new byte[] { (byte) c }, new byte[] { (byte) c, 0, (byte) c }, 0, 2 + c));
        }
        assertThat(roundTrip(entries, SnapshotFormat.MAX_BLOCK_DATA)).containsExactlyElementsOf(entries);
    }

    @Test
    void emptyValuesAndAnEmptyKeyRoundTrip() throws IOException {
        List<TestEntry> entries = List.of(new TestEntry("k", "", 0, 1), new TestEntry("", "v", 0, 2),
                new TestEntry("", "", 0, 3));
        assertThat(roundTrip(entries, SnapshotFormat.MAX_BLOCK_DATA)).containsExactlyElementsOf(entries);
    }

    @Test
    void keysAndValuesOf65536BytesRoundTrip() throws IOException {
        Random random = new Random(1);
        List<TestEntry> entries = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            entries.add(TestEntry.of(ascii(random, 65_536), ascii(random, i % 2 == 0 ? 65_536 : 0), 0, i));
        }
        assertThat(roundTrip(entries, SnapshotFormat.MAX_BLOCK_DATA)).containsExactlyElementsOf(entries);
        // Also with blocks smaller than one such entry: it goes into a block of its own.
        assertThat(roundTrip(entries, 1024)).containsExactlyElementsOf(entries);
    }

    @Test
    void longerKeysOrValuesAreRefused() {
        assertThatThrownBy(() -> TestEntry.write(directory,
                List.of(TestEntry.of(new byte[65_537], new byte[0], 0, 1)), SnapshotFormat.MAX_BLOCK_DATA))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("65537");
        assertThatThrownBy(() -> TestEntry.write(directory,
                List.of(TestEntry.of(new byte[1], new byte[65_537], 0, 1)), SnapshotFormat.MAX_BLOCK_DATA))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Snapshots.fileIn(directory)).doesNotExist();
        assertThat(Snapshots.temporaryFileIn(directory)).doesNotExist();
    }

    @Test
    void manyEntriesAcrossManyBlocksKeepTheirExpiryAndWriteMark() throws IOException {
        Random random = new Random(2);
        List<TestEntry> entries = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            long expiresAt = random.nextBoolean() ? 0 : random.nextLong();
            entries.add(TestEntry.of(ascii(random, 1 + random.nextInt(300)), ascii(random, random.nextInt(300)),
                    expiresAt, random.nextLong()));
        }
        assertThat(roundTrip(entries, 4096)).containsExactlyElementsOf(entries);
        assertThat(TestEntry.read(Snapshots.fileIn(directory)).result().blocks()).isGreaterThan(500);
        assertThat(roundTrip(entries, SnapshotFormat.MAX_BLOCK_DATA)).containsExactlyElementsOf(entries);
    }

    @Test
    void anEmptySnapshotIsComplete() throws IOException {
        assertThat(roundTrip(List.of(), SnapshotFormat.MAX_BLOCK_DATA)).isEmpty();
    }

    @Test
    void theSinkTakesSlicesOfLargerArrays() throws IOException {
        byte[] buffer = "..key=value..".getBytes();
        Snapshots.write(directory, sink -> sink.add(buffer, 2, 3, buffer, 6, 5, 42, 7));
        assertThat(TestEntry.read(Snapshots.fileIn(directory)).entries())
                .containsExactly(new TestEntry("key", "value", 42, 7));
    }

    @Test
    void aNewSnapshotReplacesThePreviousOne() throws IOException {
        TestEntry.write(directory, List.of(new TestEntry("old", "1", 0, 1)), SnapshotFormat.MAX_BLOCK_DATA);
        TestEntry.write(directory, List.of(new TestEntry("new", "2", 0, 2)), SnapshotFormat.MAX_BLOCK_DATA);
        assertThat(TestEntry.read(Snapshots.fileIn(directory)).entries())
                .containsExactly(new TestEntry("new", "2", 0, 2));
        try (var files = Files.list(directory)) {
            assertThat(files).containsExactlyInAnyOrder(Snapshots.fileIn(directory),
                    directory.resolve(Snapshots.LOCK_FILE_NAME));
        }
    }

    @Test
    void theWriterCreatesItsDirectory() throws IOException {
        Path nested = directory.resolve("a/b");
        Snapshots.write(nested, sink -> sink.add(new byte[] { 'k' }, new byte[] { 'v' }, 0, 1));
        assertThat(TestEntry.read(Snapshots.fileIn(nested)).entries()).containsExactly(new TestEntry("k", "v", 0, 1));
    }

    @Test
    void aMissingSnapshotIsMissingNotDefective() {
        ReadResult result = TestEntry.read(Snapshots.fileIn(directory)).result();
        assertThat(result.status()).isEqualTo(ReadResult.Status.MISSING);
        assertThat(result.entries()).isZero();
        assertThat(TestEntry.read(directory.resolve("no/such/dir/" + Snapshots.FILE_NAME)).result().status())
                .isEqualTo(ReadResult.Status.MISSING);
    }

    @Test
    void theHeaderKeepsWhenTheSnapshotWasWritten() throws IOException {
        long before = System.currentTimeMillis();
        WriteSummary summary = TestEntry.write(directory, List.of(), SnapshotFormat.MAX_BLOCK_DATA);
        assertThat(TestEntry.read(summary.file()).result().createdAtEpochMillis())
                .isBetween(before, System.currentTimeMillis());
    }

    @Test
    void aSkippedEntryNeedNotBeCopied() throws IOException {
        long now = 1_000;
        List<TestEntry> entries = List.of(new TestEntry("expired", "x", now, 1), new TestEntry("live", "y", now + 1, 2),
                new TestEntry("forever", "z", 0, 3));
        TestEntry.write(directory, entries, SnapshotFormat.MAX_BLOCK_DATA);
        List<String> live = new ArrayList<>();
        Snapshots.read(Snapshots.fileIn(directory), entry -> {
            if (!entry.expiredAt(now)) {
                live.add(new String(entry.key()));
            }
        });
        assertThat(live).containsExactly("live", "forever");
    }

    static byte[] ascii(Random random, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) random.nextInt(128);
        }
        return bytes;
    }
}
