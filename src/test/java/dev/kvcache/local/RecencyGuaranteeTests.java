package dev.kvcache.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import dev.kvcache.cache.CacheService;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store's recency guarantee: the most recent writes filling {@link CaffeineStore#MIN_RESERVE_SHARE} of the
 * budget are readable until they expire or are replaced, whatever came before; and the reserve that keeps them
 * stays inside the budget, never serves an older write or an expired one. The real store, a fake clock,
 * maintenance on the calling thread.
 */
class RecencyGuaranteeTests {

    private static final long BUDGET = 4_000_000;

    private final AtomicLong nanos = new AtomicLong();
    private final CaffeineStore store = LocalCaches.store(BUDGET, nanos::get);
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
    void theNewestTenthIsReadableWhenCaffeineIsFullOfFrequentKeys() {
        // A hot set read over and over: Caffeine's frequency sketch ranks every newcomer below it.
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
        assertThat(hotHits).as("hot keys Caffeine kept").isGreaterThan(hot.size() / 2);
    }

    @Test
    void theNewestTenthIsReadableAfterReadsMovedTheBudgetToCaffeine() {
        // Zipf-like reads of old keys push the tuner toward Caffeine; the reserve never goes below its minimum.
        for (int i = 0; i < 200_000; i++) {
            String key = "z-" + (int) (Math.pow(random.nextDouble(), 3) * 20_000);
            if (cache.get(key).isEmpty()) {
                cache.put(key, "z".repeat(100));
            }
        }
        writeUniqueEntries(5 * BUDGET);
        assertNewestTenthReadable();
        assertThat(store.reserveShare()).isGreaterThanOrEqualTo(ReserveClimber.MIN_RESERVE_SHARE);
    }

    @Test
    void aKeyReadsItsNewestValueWhereverTheOlderOneIs() {
        cache.put("k", "old");
        writeUniqueEntries(BUDGET / 40); // "old" leaves Caffeine for the reserve (rejected by its admission)
        cache.put("k", "new");
        for (int i = 0; i < 20; i++) {
            writeUniqueEntries(BUDGET / 40);
            assertThat(cache.get("k")).as("after %d rounds of writes", i).contains("new");
        }
    }

    @Test
    void anOlderWriteInTheReserveNeverOutlivesANewerOneThatExpiredOrWasDeleted() {
        writeUniqueEntries(2 * BUDGET); // full: Caffeine rejects newcomers written once
        cache.put("expires", "old", 3_600);
        cache.put("deleted", "old", 3_600);
        writeUniqueEntries(BUDGET / 40);
        assertThat(store.inReserve("expires")).isTrue();
        assertThat(store.inReserve("deleted")).isTrue();
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
    void deleteRemovesAnEntryTheReserveHolds() {
        writeUniqueEntries(2 * BUDGET);
        cache.put("read", "v");
        cache.put("unread", "v");
        writeUniqueEntries(BUDGET / 40);
        assertThat(store.inReserve("read")).isTrue();
        assertThat(store.inReserve("unread")).isTrue();
        assertThat(cache.get("read")).contains("v"); // promoted to Caffeine, and still in the reserve
        assertThat(cache.delete("unread")).isTrue();
        assertThat(cache.get("unread")).isEmpty();
        assertThat(cache.delete("read")).isTrue();
        assertThat(store.inReserve("read")).isFalse();
        assertThat(cache.get("read")).isEmpty();
        assertThat(cache.delete("read")).isFalse();
    }

    @Test
    void expiredEntriesInTheReserveAreNeitherServedNorKept() {
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
            else if (choice < 8 && !writes.isEmpty()) { // recent keys: reserve hits promote entries to Caffeine
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
            weighed += LocalCaches.entryWeight(key.length(), value.length());
        }
    }

    /** The newest writes such that less than the guaranteed share was written after each. */
    private List<String[]> newestTenth() {
        long guaranteed = (long) (BUDGET * ReserveClimber.MIN_RESERVE_SHARE);
        List<String[]> newest = new ArrayList<>();
        long after = 0;
        for (int i = writes.size() - 1; i >= 0 && after < guaranteed; i--) {
            newest.add(writes.get(i));
            after += LocalCaches.entryWeight(writes.get(i)[0].length(), writes.get(i)[1].length());
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
