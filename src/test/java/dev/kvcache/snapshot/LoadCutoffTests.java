package dev.kvcache.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.IntBinaryOperator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** The cutoff keeps exactly the most recently written entries whose weight fits the budget. */
class LoadCutoffTests {

    /** Weight as the store might count it: the bytes plus a fixed overhead. */
    private static final IntBinaryOperator WEIGHT = (keyLength, valueLength) -> 100 + keyLength + valueLength;
    private static final long NOW = 1_000_000;

    @TempDir
    Path directory;

    private Path write(List<TestEntry> entries) throws IOException {
        return TestEntry.write(directory, entries, 4096).file();
    }

    /** An entry of weight 100 + 1 + valueLength. */
    private static TestEntry entry(long writeMark, int valueLength) {
        return new TestEntry("k", "v".repeat(valueLength), 0, writeMark);
    }

    @Test
    void everythingFitsABudgetAsLargeAsTheSnapshot() throws IOException {
        Path file = write(List.of(entry(1, 0), entry(2, 0), entry(3, 0)));
        LoadCutoff cutoff = Snapshots.findCutoff(file, 303, NOW, WEIGHT);
        assertThat(cutoff.minWriteMark()).isEqualTo(Long.MIN_VALUE);
        assertThat(cutoff.keptEntries()).isEqualTo(3);
        assertThat(cutoff.keptWeight()).isEqualTo(303);
        assertThat(cutoff.leftOutEntries()).isZero();
        assertThat(cutoff.keeps(Long.MIN_VALUE)).isTrue();
        assertThat(cutoff.scan().complete()).isTrue();
    }

    @Test
    void aSmallerBudgetKeepsTheNewestThatFit() throws IOException {
        // Written in no particular order: the write mark decides, not the position in the file.
        Path file = write(List.of(entry(5, 0), entry(1, 0), entry(4, 99), entry(3, 0), entry(2, 0)));
        LoadCutoff cutoff = Snapshots.findCutoff(file, 101 + 200 + 101, NOW, WEIGHT);
        assertThat(cutoff.minWriteMark()).isEqualTo(3);
        assertThat(cutoff.keptEntries()).isEqualTo(3);
        assertThat(cutoff.keptWeight()).isEqualTo(402);
        assertThat(cutoff.leftOutEntries()).isEqualTo(2);
        assertThat(cutoff.leftOutWeight()).isEqualTo(202);
        assertThat(cutoff.keeps(3)).isTrue();
        assertThat(cutoff.keeps(2)).isFalse();
    }

    @Test
    void entriesOfTheSameWriteMarkAreLeftOutTogether() throws IOException {
        Path file = write(List.of(entry(3, 0), entry(2, 0), entry(2, 0), entry(1, 0)));
        LoadCutoff cutoff = Snapshots.findCutoff(file, 250, NOW, WEIGHT);
        assertThat(cutoff.minWriteMark()).isEqualTo(3);
        assertThat(cutoff.keptEntries()).isEqualTo(1);
        assertThat(cutoff.keptWeight()).isEqualTo(101);
    }

    @Test
    void aBudgetBelowTheNewestEntryKeepsNothing() throws IOException {
        Path file = write(List.of(entry(1, 0), entry(Long.MAX_VALUE, 0)));
        LoadCutoff cutoff = Snapshots.findCutoff(file, 100, NOW, WEIGHT);
        assertThat(cutoff.keptEntries()).isZero();
        assertThat(cutoff.keptWeight()).isZero();
        assertThat(cutoff.leftOutEntries()).isEqualTo(2);
        assertThat(cutoff.keeps(Long.MAX_VALUE)).isFalse();
        assertThat(cutoff.keeps(1)).isFalse();
    }

    @Test
    void expiredEntriesCountForNothing() throws IOException {
        Path file = write(List.of(entry(1, 0), new TestEntry("k", "", NOW, 2), new TestEntry("k", "", NOW - 1, 3),
                new TestEntry("k", "", NOW + 1, 4)));
        LoadCutoff cutoff = Snapshots.findCutoff(file, 202, NOW, WEIGHT);
        assertThat(cutoff.minWriteMark()).isEqualTo(Long.MIN_VALUE);
        assertThat(cutoff.keptEntries()).isEqualTo(2);
        assertThat(cutoff.leftOutEntries()).isZero();
    }

    @Test
    void theCutoffMatchesSortingOnRandomSnapshots() throws IOException {
        Random random = new Random(4);
        for (int round = 0; round < 30; round++) {
            List<TestEntry> entries = new ArrayList<>();
            int count = 1 + random.nextInt(3000);
            for (int i = 0; i < count; i++) {
                // Few distinct write marks in some rounds, so that ties occur.
                long writeMark = round % 3 == 0 ? random.nextInt(20) : random.nextLong();
                entries.add(entry(writeMark, random.nextInt(200)));
            }
            long total = entries.stream().mapToLong(LoadCutoffTests::weight).sum();
            long budget = (long) (total * random.nextDouble());
            LoadCutoff cutoff = Snapshots.findCutoff(write(entries), budget, NOW, WEIGHT);

            List<TestEntry> newestFirst = new ArrayList<>(entries);
            newestFirst.sort(Comparator.comparingLong(TestEntry::writeMark).reversed());
            long keptWeight = 0;
            int kept = 0;
            while (kept < newestFirst.size()) {
                long order = newestFirst.get(kept).writeMark();
                int end = kept;
                long groupWeight = 0;
                while (end < newestFirst.size() && newestFirst.get(end).writeMark() == order) {
                    groupWeight += weight(newestFirst.get(end++));
                }
                if (keptWeight + groupWeight > budget) {
                    break;
                }
                keptWeight += groupWeight;
                kept = end;
            }
            assertThat(cutoff.keptEntries()).as("round %d", round).isEqualTo(kept);
            assertThat(cutoff.keptWeight()).as("round %d", round).isEqualTo(keptWeight);
            assertThat(cutoff.leftOutWeight()).isEqualTo(total - keptWeight);
            for (int i = 0; i < newestFirst.size(); i++) {
                assertThat(cutoff.keeps(newestFirst.get(i).writeMark())).as("round %d, entry %d", round, i)
                        .isEqualTo(i < kept);
            }
        }
    }

    @Test
    void aDefectiveFileGivesTheCutoffOverItsVerifiedBlocks() throws IOException {
        List<TestEntry> entries = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            entries.add(entry(i, 50));
        }
        Path file = write(entries);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length / 2));
        long delivered = TestEntry.read(file).entries().size();
        LoadCutoff cutoff = Snapshots.findCutoff(file, Long.MAX_VALUE, NOW, WEIGHT);
        assertThat(cutoff.scan().defective()).isTrue();
        assertThat(cutoff.keptEntries()).isEqualTo(delivered).isBetween(1L, 999L);
    }

    private static long weight(TestEntry entry) {
        return WEIGHT.applyAsInt(entry.key().length(), entry.value().length());
    }
}
