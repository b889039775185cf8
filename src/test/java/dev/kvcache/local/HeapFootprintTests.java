package dev.kvcache.local;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.SplittableRandom;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.kvcache.cache.CacheService;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No Java object per entry: filling a store, to its budget and on past it, grows the heap (after a full GC) by
 * next to nothing per entry held, whatever the entries' sizes, and the memory it takes off the heap stays within
 * its budget. {@code bench/memory-per-entry.sh} measures the same in the service as the image runs it.
 */
class HeapFootprintTests {

    private static final int ENTRIES = 500_000;
    /** What an entry held may cost the heap at most (the bound; it is about 0). */
    private static final double MAX_HEAP_BYTES_PER_ENTRY = 16;

    @ParameterizedTest(name = "keys of {0}..{1} and values of {2}..{3} chars, {4}x the budget written")
    @CsvSource({
            "6, 8, 0, 8, 1",
            "36, 36, 256, 256, 1",
            "256, 256, 256, 256, 1",
            "6, 256, 0, 256, 3",
    })
    void entriesCostTheHeapNextToNothing(int minKey, int maxKey, int minValue, int maxValue, int budgets) {
        // A budget the first ENTRIES entries fill by two thirds, written over `budgets` times.
        long budget = 0;
        var sizes = new SplittableRandom(7);
        for (int i = 0; i < ENTRIES; i++) {
            String key = key(i, sizes, minKey, maxKey);
            budget += LocalCaches.entryCost(key.length(), sizes.nextInt(minValue, maxValue + 1)) * 3L / 2;
        }
        SegmentStore store = LocalCaches.store(budget, Ticker.systemTicker());
        CacheService cache = new CacheService(LocalCaches.settings(budget, Duration.ofMinutes(5)), store);
        var random = new SplittableRandom(7);
        long before = heapAfterGc();

        for (int i = 0; i < ENTRIES * budgets; i++) {
            cache.put(key(i, random, minKey, maxKey), "v".repeat(random.nextInt(minValue, maxValue + 1)));
        }
        cache.cleanUp();
        long grown = heapAfterGc() - before;

        long held = cache.size();
        assertThat(held).isPositive();
        if (budgets == 1) {
            assertThat(held).as("none evicted below two thirds of the budget").isEqualTo(ENTRIES);
        }
        System.out.printf("%d entries held: the heap grew %d bytes (%.2f an entry); off the heap %d of %d bytes%n",
                held, grown, (double) grown / held, store.committedBytes(), budget);
        assertThat((double) grown / held).as("heap bytes an entry").isLessThanOrEqualTo(MAX_HEAP_BYTES_PER_ENTRY);
        assertThat(store.committedBytes()).as("off-heap memory").isLessThanOrEqualTo(budget);
        assertThat(cache.weightedSize()).isLessThanOrEqualTo(budget);
    }

    private static String key(int i, SplittableRandom random, int minLength, int maxLength) {
        String unique = Integer.toString(i, 36);
        int length = random.nextInt(Math.max(minLength, unique.length()), maxLength + 1);
        return "-".repeat(length - unique.length()) + unique; // "-" is no base-36 digit: keys are unique
    }

    private static long heapAfterGc() {
        var memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc(); // a full collection with G1, Parallel and Serial
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
