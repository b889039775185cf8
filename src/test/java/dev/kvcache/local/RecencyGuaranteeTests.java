package dev.kvcache.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import dev.kvcache.cache.CacheService;
import dev.kvcache.local.policy.YoungClimber;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store's recency guarantee: the most recent writes filling {@link YoungClimber#MIN_YOUNG_SHARE} of the
 * budget are readable until they expire or are replaced, whatever came before; and the store that keeps them stays
 * inside the budget, never serves an older write or an expired one. The real store, a fake clock, maintenance on
 * the calling thread.
 */
class RecencyGuaranteeTests {

    private static final long BUDGET = 4_000_000;

    private final AtomicLong nanos = new AtomicLong();
    private final SegmentStore store = LocalCaches.store(BUDGET, nanos::get);
    private final CacheService cache = new CacheService(LocalCaches.settings(BUDGET, Duration.ofMinutes(5)), store);
    private final SplittableRandom random = new SplittableRandom(11);
    private final List<String[]> writes = new ArrayList<>();

    @Test
    void nothingIsEvictedBelowNineteenTwentiethsOfTheBudget() {
        writeUniqueEntries(BUDGET * 19 / 20);
        cache.cleanUp();
        assertThat(cache.evictionCount()).isZero();
        for (String[] write : writes) {
            assertThat(cache.get(write[0])).as(write[0]).contains(write[1]);
        }
    }

    @Test
    void theNewestTenthOfTheBudgetIsReadableAfterAWriteOnlyFlood() {
        writeUniqueEntries(20 * BUDGET);
        assertNewestTenthReadable();
        assertThat(cache.evictionCount()).isPositive();
    }

    @Test
    void theNewestTenthIsReadableWhenMainIsFullOfFrequentKeys() {
        // A hot set read over and over: Caffeine's frequency sketch ranks every new segment below theirs.
        List<String> hot = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            hot.add("hot-" + i);
            cache.put("hot-" + i, "h".repeat(200));
        }
        for (int round = 0; round < 20; round++) {
            hot.forEach(cache::get);
        }
        writeUniqueEntries(10 * BUDGET);
        assertNewestTenthReadable();
        long hotHits = hot.stream().filter(key -> cache.get(key).isPresent()).count();
        assertThat(hotHits).as("hot keys main kept").isGreaterThan(hot.size() / 2);
    }

    @Test
    void theNewestTenthIsReadableAfterReadsMovedTheBudgetToMain() {
        // Zipf-like reads of old keys push the tuner toward main; the young share never goes below its minimum.
        for (int i = 0; i < 200_000; i++) {
            String key = "z-" + (int) (Math.pow(random.nextDouble(), 3) * 20_000);
            if (cache.get(key).isEmpty()) {
                cache.put(key, "z".repeat(100));
            }
        }
        writeUniqueEntries(5 * BUDGET);
        assertNewestTenthReadable();
        assertThat(store.youngShare()).isGreaterThanOrEqualTo(YoungClimber.MIN_YOUNG_SHARE);
    }

    @Test
    void aKeyReadsItsNewestValueWhereverTheOlderOneIs() {
        cache.put("k", "old");
        cache.get("k"); // read while young: "old" goes on to a main segment when its young one leaves
        cache.put("k", "new");
        for (int i = 0; i < 20; i++) {
            writeUniqueEntries(BUDGET / 40);
            assertThat(cache.get("k")).as("after %d rounds of writes", i).contains("new");
        }
    }

    @Test
    void anOlderWriteInMainNeverOutlivesANewerOneThatExpiredOrWasDeleted() {
        writeUniqueEntries(2 * BUDGET);
        cache.put("expires", "old"); // the floods' time to live: their segments leave as the floods' do
        cache.put("deleted", "old");
        cache.get("expires"); // read while young: they go on to main when their segment leaves
        cache.get("deleted");
        writeUniqueEntries(BUDGET * 3 / 2);
        assertThat(store.inMain("expires")).isTrue();
        assertThat(store.inMain("deleted")).isTrue();
        cache.put("expires", "new", 1);
        cache.put("deleted", "new");
        assertThat(cache.get("expires")).contains("new");
        assertThat(cache.delete("deleted")).isTrue();
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        for (int i = 0; i < 5; i++) {
            assertThat(cache.get("expires")).isEmpty();
            assertThat(cache.get("deleted")).isEmpty();
            writeUniqueEntries(BUDGET / 40);
        }
    }

    @Test
    void deleteRemovesAnEntryWhereverItIs() {
        writeUniqueEntries(2 * BUDGET);
        cache.put("main", "v");
        cache.put("young", "v");
        cache.get("main");
        writeUniqueEntries(BUDGET * 3 / 2);
        cache.put("young", "w");
        assertThat(store.inMain("main")).isTrue();
        assertThat(store.inMain("young")).isFalse();
        assertThat(cache.delete("young")).isTrue();
        assertThat(cache.get("young")).isEmpty();
        assertThat(cache.delete("main")).isTrue();
        assertThat(store.inMain("main")).isFalse();
        assertThat(cache.get("main")).isEmpty();
        assertThat(cache.delete("main")).isFalse();
    }

    @Test
    void expiredEntriesAreNeitherServedNorKept() {
        writeUniqueEntries(3 * BUDGET);
        List<String[]> newest = newestTenth();
        assertThat(cache.get(newest.get(0)[0])).isPresent();
        long evictedBefore = cache.evictionCount();

        nanos.addAndGet(Duration.ofMinutes(5).toNanos());
        for (String[] write : newest) {
            assertThat(cache.get(write[0])).as(write[0]).isEmpty();
        }
        cache.cleanUp();
        assertThat(cache.size()).isZero();
        assertThat(cache.evictionCount()).isGreaterThan(evictedBefore);
    }

    @Test
    void theBudgetHoldsUnderAnyMixOfWritesReadsAndTuning() {
        for (int i = 0; i < 100_000; i++) {
            int choice = random.nextInt(10);
            if (choice < 4) {
                writeUniqueEntries(1);
            }
            else if (choice < 8 && !writes.isEmpty()) { // recent keys: read while young, they go on to main
                cache.get(writes.get(writes.size() - 1 - random.nextInt(Math.min(writes.size(), 4_000)))[0]);
            }
            else {
                cache.get("z-" + (int) (Math.pow(random.nextDouble(), 3) * 5_000));
                cache.put("z-" + random.nextInt(5_000), "v".repeat(random.nextInt(257)));
            }
            if (i % 100 == 0) {
                cache.cleanUp();
                assertThat(cache.weightedSize()).as("after %d operations", i).isLessThanOrEqualTo(BUDGET);
            }
        }
    }

    /** Puts unique keys and values of random lengths, about {@code bytes} of weight in all. */
    private void writeUniqueEntries(long bytes) {
        for (long weighed = 0; weighed < bytes; ) {
            String key = "w-" + writes.size() + "-" + "k".repeat(random.nextInt(240));
            String value = "v".repeat(random.nextInt(257));
            cache.put(key, value);
            writes.add(new String[] { key, value });
            weighed += LocalCaches.entryCost(key.length(), value.length());
        }
    }

    /** The newest writes such that less than the guaranteed share was written after each. */
    private List<String[]> newestTenth() {
        long guaranteed = (long) (BUDGET * YoungClimber.MIN_YOUNG_SHARE);
        List<String[]> newest = new ArrayList<>();
        long after = 0;
        for (int i = writes.size() - 1; i >= 0 && after < guaranteed; i--) {
            newest.add(writes.get(i));
            after += LocalCaches.entryCost(writes.get(i)[0].length(), writes.get(i)[1].length());
        }
        return newest;
    }

    private void assertNewestTenthReadable() {
        List<String[]> newest = newestTenth();
        assertThat(newest).hasSizeGreaterThan(100);
        for (String[] write : newest) {
            assertThat(cache.get(write[0])).as(write[0]).contains(write[1]);
        }
    }
}
