package dev.kvcache.local;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.SplittableRandom;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.kvcache.cache.CacheService;
import dev.kvcache.cache.MemoryBudget;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The weight is the memory: fill a cache and compare what the heap (after a full GC) and the direct memory grew
 * by (the slabs' pages) with the weighted size the cache reports (and budgets by). {@link EntryWeigherTests}
 * checks the same object by object with JOL; this test checks it the way an operator would see it.
 */
class HeapFootprintTests {

    // Enough entries that the few fixed-size parts (hash table, sketch: G1 rounds such big arrays up to whole
    // regions) are small beside them, as in a real cache of a million entries.
    private static final int ENTRIES = 500_000;

    @ParameterizedTest(name = "keys of {0}..{1} and values of {2}..{3} chars")
    @CsvSource({
            "6, 8, 0, 8",
            "36, 36, 256, 256",
            "256, 256, 256, 256",
            "6, 256, 0, 256",
    })
    void heapGrowthAfterGcMatchesTheWeightedSize(int minKey, int maxKey, int minValue, int maxValue) {
        // A budget the entries fill by two thirds: past half, Caffeine adds its frequency sketch, as in a full
        // cache. Sized with the weigher, from the same entries.
        var weigher = new EntryWeigher(HeapLayout.current(), MemoryBudget.unbounded(Long.MAX_VALUE));
        long budget = 0;
        var sizes = new SplittableRandom(7);
        for (int i = 0; i < ENTRIES; i++) {
            String key = key(i, sizes, minKey, maxKey);
            budget += weigher.weigh(key.length(), sizes.nextInt(minValue, maxValue + 1)) * 3L / 2;
        }
        CaffeineStore store = LocalCaches.store(budget, Ticker.systemTicker());
        CacheService cache = new CacheService(LocalCaches.settings(budget, Duration.ofMinutes(5)), store);
        var random = new SplittableRandom(7);
        long before = heapAfterGc();

        for (int i = 0; i < ENTRIES; i++) {
            cache.put(key(i, random, minKey, maxKey), "v".repeat(random.nextInt(minValue, maxValue + 1)));
        }
        cache.cleanUp();
        // The pages the slabs took: direct memory, which the JVM's "direct" buffer pool counts too (with the pages
        // of caches of earlier tests until their cleaners have run).
        long grown = heapAfterGc() - before + store.slabCommittedBytes();

        assertThat(cache.size()).isEqualTo(ENTRIES);
        System.out.printf("heap and direct memory grew %d, weighted %d (%+.2f%%)%n", grown, cache.weightedSize(),
                100.0 * (cache.weightedSize() - grown) / grown);
        assertThat((double) cache.weightedSize()).as("weighted size vs heap and direct memory growth %d", grown)
                .isCloseTo(grown, within(grown * 0.10));
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
