package dev.kvcache.cache;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.SplittableRandom;

import com.github.benmanes.caffeine.cache.Ticker;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.openjdk.jol.info.GraphLayout;

import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The weigher against the truth: JOL walks the real object graph of a filled cache on this JVM (whatever its
 * header and pointer layout) and its retained size must match the weighted size the cache reports.
 */
class EntryWeigherTests {

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
        var weigher = new EntryWeigher(HeapLayout.current(), !ttl.isZero());
        long budget = 0;
        for (int i = 0; i < ENTRIES; i++) {
            budget += weigher.weigh(Key.of(keys.get(i)), values.get(i).getBytes(StandardCharsets.ISO_8859_1)) * 3L / 2;
        }
        CacheService empty = cache(budget, ttl);
        CacheService filled = cache(budget, ttl);
        for (int i = 0; i < ENTRIES; i++) {
            filled.put(keys.get(i), values.get(i));
        }
        filled.cleanUp();
        assertThat(filled.evictionCount()).isZero();

        long retained = GraphLayout.parseInstance(filled).totalSize() - GraphLayout.parseInstance(empty).totalSize();
        System.out.printf("weighted %d, retained %d (%+.2f%%)%n", filled.weightedSize(), retained,
                100.0 * (filled.weightedSize() - retained) / retained);
        assertThat((double) filled.weightedSize()).as("weighted size vs JOL retained size %d", retained)
                .isCloseTo(retained, within(retained * 0.03));
    }

    private static CacheService cache(long budget, Duration ttl) {
        return LocalCaches.create(budget, ttl, Ticker.systemTicker());
    }
}
