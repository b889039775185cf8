package dev.kvcache.snapshot;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntBinaryOperator;

/**
 * Finds the write mark above which the newest entries of a snapshot fit a budget, in one pass over the file
 * holding 12 bytes per live entry (its write mark and weight), then a weighted quickselect: no sort, no keys,
 * no values.
 */
final class CutoffFinder {

    private long[] writeMarks = new long[1 << 16];
    private int[] weights = new int[1 << 16];
    private int size;
    private long maxWriteMark = Long.MIN_VALUE;

    private CutoffFinder() {
    }

    static LoadCutoff find(Path file, long budget, long nowEpochMillis, IntBinaryOperator weigher) {
        if (budget < 0) {
            throw new IllegalArgumentException("budget must not be negative, was " + budget);
        }
        CutoffFinder finder = new CutoffFinder();
        ReadResult scan = SnapshotReader.read(file, entry -> {
            if (!entry.expiredAt(nowEpochMillis)) {
                int weight = weigher.applyAsInt(entry.keyLength(), entry.valueLength());
                if (weight < 0) {
                    throw new IllegalArgumentException("weights must not be negative, was " + weight);
                }
                finder.add(entry.writeMark(), weight);
            }
        });
        return finder.cutoff(budget, scan);
    }

    private void add(long writeMark, int weight) {
        if (size == writeMarks.length) {
            writeMarks = Arrays.copyOf(writeMarks, size * 2);
            weights = Arrays.copyOf(weights, size * 2);
        }
        writeMarks[size] = writeMark;
        weights[size] = weight;
        size++;
        maxWriteMark = Math.max(maxWriteMark, writeMark);
    }

    /**
     * Narrows a range of undecided entries: everything newer than the range is kept, everything older left
     * out. Each round splits the range around a random write mark into older, equal and newer, and keeps the
     * newer part and then the equal part as long as they fit.
     */
    private LoadCutoff cutoff(long budget, ReadResult scan) {
        long total = sum(0, size);
        long keptWeight = 0;
        long keptEntries = 0;
        long minWriteMark = Long.MIN_VALUE;
        int from = 0;
        int to = size;
        while (from < to) {
            long pivot = writeMarks[ThreadLocalRandom.current().nextInt(from, to)];
            // After partitioning: [from, lt) older than the pivot, [lt, gt) equal, [gt, to) newer.
            int lt = from;
            int gt = to;
            int i = from;
            while (i < gt) {
                if (writeMarks[i] < pivot) {
                    swap(i++, lt++);
                }
                else if (writeMarks[i] > pivot) {
                    swap(i, --gt);
                }
                else {
                    i++;
                }
            }
            long newer = sum(gt, to);
            if (keptWeight + newer > budget) {
                minWriteMark = pivot + 1; // the newer part is not empty, so the pivot is below Long.MAX_VALUE
                from = gt;
                continue;
            }
            keptWeight += newer;
            keptEntries += to - gt;
            long equal = sum(lt, gt);
            if (keptWeight + equal > budget) {
                // Nothing is newer than Long.MAX_VALUE: then nothing is kept, and keeps() says so.
                minWriteMark = pivot == Long.MAX_VALUE ? pivot : pivot + 1;
                break;
            }
            keptWeight += equal;
            keptEntries += gt - lt;
            to = lt;
        }
        return new LoadCutoff(minWriteMark, maxWriteMark, keptEntries, keptWeight, size - keptEntries,
                total - keptWeight, scan);
    }

    private long sum(int from, int to) {
        long sum = 0;
        for (int i = from; i < to; i++) {
            sum += weights[i];
        }
        return sum;
    }

    private void swap(int a, int b) {
        long writeMark = writeMarks[a];
        writeMarks[a] = writeMarks[b];
        writeMarks[b] = writeMark;
        int weight = weights[a];
        weights[a] = weights[b];
        weights[b] = weight;
    }
}
