package dev.kvcache.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.SplittableRandom;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.kvcache.cache.CacheProperties;
import dev.kvcache.cache.CacheService;
import dev.kvcache.cache.MemoryBudget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.openjdk.jol.info.GraphLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The weigher against the truth: JOL walks the real object graph of a filled cache on this JVM (whatever its
 * header and pointer layout), the slabs count the chunks they hold off the heap, and the two together must match
 * the weighted size the cache reports.
 */
class EntryWeigherTests {

    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    private static final int ENTRIES = 20_000;

    @ParameterizedTest(name = "keys of {0}..{1} and values of {2}..{3} chars, ttl {4}")
    @CsvSource({
            "5, 5, 0, 0, PT5M",
            "5, 5, 1, 1, PT5M",
            "36, 36, 256, 256, PT5M",
            "256, 256, 256, 256, PT5M",
            "5, 256, 0, 256, PT5M",
            "36, 36, 256, 256, PT0S",
    })
    void weightedSizeIsTheRetainedHeapOfTheEntries(int minKey, int maxKey, int minValue, int maxValue,
            Duration ttl) {
        var random = new SplittableRandom(42);
        var keys = new ArrayList<String>();
        var values = new ArrayList<String>();
        for (int i = 0; i < ENTRIES; i++) {
            String unique = Integer.toString(i);
            keys.add("k".repeat(random.nextInt(Math.max(minKey, unique.length()), maxKey + 1) - unique.length())
                    + unique);
            values.add("v".repeat(random.nextInt(minValue, maxValue + 1)));
        }
        // A budget the entries fill by two thirds: past half, Caffeine adds its frequency sketch, as in a
        // full cache.
        var weigher = new EntryWeigher(HeapLayout.current(), MemoryBudget.unbounded(Long.MAX_VALUE));
        long budget = 0;
        for (int i = 0; i < ENTRIES; i++) {
            budget += weigher.weigh(keys.get(i).length(), values.get(i).length()) * 3L / 2;
        }
        CaffeineStore empty = LocalCaches.store(budget, Ticker.systemTicker());
        CaffeineStore store = LocalCaches.store(budget, Ticker.systemTicker());
        CacheService filled = new CacheService(LocalCaches.settings(budget, ttl), store);
        for (int i = 0; i < ENTRIES; i++) {
            filled.put(keys.get(i), values.get(i));
        }
        filled.cleanUp();
        assertThat(filled.evictionCount()).isZero();

        // The heap JOL finds, and the chunks the slabs hold off the heap.
        long retained = GraphLayout.parseInstance(store).totalSize() - GraphLayout.parseInstance(empty).totalSize()
                + store.slabUsedBytes();
        System.out.printf("weighted %d, retained %d (%+.2f%%)%n", filled.weightedSize(), retained,
                100.0 * (filled.weightedSize() - retained) / retained);
        assertThat((double) filled.weightedSize()).as("weighted size vs JOL retained size %d", retained)
                .isCloseTo(retained, within(retained * 0.03));
    }

    /**
     * Written over three times, the budget is shared by Caffeine and the reserve (which holds what Caffeine
     * evicted): the entries there retain less than Caffeine's (a smaller node, no sketch share), and their map's
     * table comes on top of Caffeine's (each sized for the most entries it ever held): the two about cancel out.
     */
    @ParameterizedTest(name = "keys of {0}..{1} and values of {2}..{3} chars")
    @CsvSource({
            "36, 36, 256, 256",
            "5, 256, 0, 256",
    })
    void weightedSizeBoundsTheRetainedHeapWhenTheReserveHoldsEntries(int minKey, int maxKey, int minValue,
            int maxValue) {
        var random = new SplittableRandom(43);
        long budget = 8_000_000;
        var empty = LocalCaches.store(budget, Ticker.systemTicker());
        var store = LocalCaches.store(budget, Ticker.systemTicker());
        CacheService filled = new CacheService(LocalCaches.settings(budget, Duration.ofMinutes(5)), store);
        for (long written = 0; written < 3 * budget; ) {
            String unique = Long.toString(written);
            String key = "k".repeat(Math.max(0, random.nextInt(minKey, maxKey + 1) - unique.length())) + unique;
            String value = "v".repeat(random.nextInt(minValue, maxValue + 1));
            filled.put(key, value);
            written += LocalCaches.entryWeight(key.length(), value.length());
        }
        filled.cleanUp();
        assertThat(store.reserveShare()).isPositive();

        long retained = GraphLayout.parseInstance(store).totalSize() - GraphLayout.parseInstance(empty).totalSize()
                + store.slabUsedBytes();
        long weighted = store.usedBytes() - empty.usedBytes();
        System.out.printf("with the reserve: weighted %d, retained %d (%+.2f%%)%n", weighted, retained,
                100.0 * (weighted - retained) / retained);
        assertThat((double) weighted).as("weighted size vs JOL retained size %d", retained)
                .isCloseTo(retained, within(retained * 0.03));
    }

    /** Entries weigh their share of the scarcer room: a budget's worth of them fits both rooms. */
    @Test
    void entriesWeighAtLeastTheirShareOfTheScarcerRoom() {
        long heap = (long) (2 * GIB * 0.30);
        MemoryBudget budget = MemoryBudget.of(1536 * MIB, heap, 1152 * MIB, 2 * GIB, CacheProperties.Mode.LOCAL);
        var weigher = new EntryWeigher(HeapLayout.current(), budget);
        int index = EntryWeigher.indexBytes(HeapLayout.current());
        for (int[] shape : new int[][] { { 1, 0 }, { 36, 256 }, { 256, 256 }, { 256, 4096 } }) {
            long entries = budget.effective() / weigher.weigh(shape[0], shape[1]);
            int chunk = Slabs.chunkSize(ChunkLayout.size(shape[0], shape[1]));
            assertThat(entries * index).as("index of %d/%d entries", shape[0], shape[1])
                    .isLessThanOrEqualTo(budget.heapRoom());
            assertThat(entries * chunk).as("chunks of %d/%d entries", shape[0], shape[1])
                    .isLessThanOrEqualTo(budget.offHeapRoom());
            assertThat(entries * (index + chunk)).isLessThanOrEqualTo(budget.effective());
        }
    }
}
