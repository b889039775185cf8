package dev.kvcache.cache;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import dev.kvcache.local.LocalCaches;
import org.junit.jupiter.api.Test;

import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The store on its own: a real Caffeine cache, a fake clock, maintenance run on the calling thread. */
class CacheServiceTests {

    private final AtomicLong nanos = new AtomicLong();

    private CacheService cache(long budgetBytes, Duration ttl) {
        return LocalCaches.create(budgetBytes, ttl, nanos::get);
    }

    private CacheService cache() {
        return cache(DataSize.ofMegabytes(64).toBytes(), Duration.ofMinutes(5));
    }

    @Test
    void getReturnsWhatWasPut() {
        CacheService cache = cache();
        cache.put("k", "v");
        assertThat(cache.get("k")).contains("v");
        assertThat(cache.putCount()).isEqualTo(1);
    }

    @Test
    void getOfUnknownKeyIsEmptyAndCountsAsMiss() {
        CacheService cache = cache();
        assertThat(cache.get("nope")).isEmpty();
        assertThat(cache.missCount()).isEqualTo(1);
        assertThat(cache.hitCount()).isZero();
    }

    @Test
    void putOverwrites() {
        CacheService cache = cache();
        cache.put("k", "short");
        cache.put("k", "x".repeat(200));
        assertThat(cache.get("k")).contains("x".repeat(200));
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void emptyValueIsAValue() {
        CacheService cache = cache();
        cache.put("k", "");
        assertThat(cache.get("k")).contains("");
    }

    @Test
    void everyAsciiCharacterRoundTrips() {
        CacheService cache = cache();
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 128; c++) {
            all.append(c);
        }
        String text = all.toString();
        cache.put(text.substring(0, 128), text.substring(1));
        assertThat(cache.get(text)).contains(text.substring(1));
    }

    @Test
    void entryExpiresAfterTtlSinceItsLastWrite() {
        CacheService cache = cache();
        long empty = cache.weightedSize(); // the store's own structures
        cache.put("k", "v1");
        nanos.addAndGet(Duration.ofMinutes(4).toNanos());
        cache.put("k", "v2"); // a write restarts the clock
        nanos.addAndGet(Duration.ofMinutes(4).toNanos());
        assertThat(cache.get("k")).contains("v2");

        nanos.addAndGet(Duration.ofMinutes(1).toNanos());
        assertThat(cache.get("k")).isEmpty();
        cache.cleanUp();
        assertThat(cache.size()).isZero();
        assertThat(cache.weightedSize()).isEqualTo(empty);
        assertThat(cache.expirationCount()).isOne();
        assertThat(cache.evictionCount()).as("expirations count as evictions too").isOne();
    }

    @Test
    void zeroTtlNeverExpires() {
        CacheService cache = cache(DataSize.ofMegabytes(1).toBytes(), Duration.ZERO);
        cache.put("k", "v");
        nanos.addAndGet(Duration.ofDays(365).toNanos());
        assertThat(cache.get("k")).contains("v");
    }

    @Test
    void evictsToStayWithinTheBudget() {
        long budget = 1_000_000;
        CacheService cache = cache(budget, Duration.ofMinutes(5));
        for (int i = 0; i < 10_000; i++) {
            cache.put("key-" + i, "v".repeat(256));
            cache.cleanUp();
            assertThat(cache.weightedSize()).isLessThanOrEqualTo(budget);
        }
        long held = cache.size();
        long entryCost = LocalCaches.entryCost("key-9999".length(), 256); // 260 bytes
        assertThat(held).isBetween(budget * 85 / 100 / entryCost, budget / entryCost);
        assertThat(cache.evictionCount()).isEqualTo(10_000 - held);
        assertThat(cache.expirationCount()).as("none of them expired").isZero();
        // The newest writes (10% of the budget) are kept: young segments keep them.
        for (int i = 9_990; i < 10_000; i++) {
            assertThat(cache.get("key-" + i)).contains("v".repeat(256));
        }
    }

    @Test
    void aPutsOwnTtlReplacesTheDefaultAndTheEarlierOne() {
        CacheService cache = cache();
        cache.put("short", "v", 10);
        cache.put("long", "v", 86_400);
        cache.put("replaced", "v", 10);
        cache.put("replaced", "w"); // back to the default, 5 minutes
        nanos.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(cache.get("short")).isEmpty();
        assertThat(cache.get("replaced")).contains("w");
        nanos.addAndGet(Duration.ofMinutes(5).toNanos());
        assertThat(cache.get("replaced")).isEmpty();
        assertThat(cache.get("long")).contains("v");
        nanos.addAndGet(Duration.ofDays(1).toNanos());
        assertThat(cache.get("long")).isEmpty();
    }

    @Test
    void ttlOutsideOneSecondToTheMaximumIsRefusedAndStoresNothing() {
        CacheService cache = cache();
        for (long ttl : new long[] { 0, -1, 86_401, Long.MAX_VALUE, Long.MIN_VALUE }) {
            assertThatThrownBy(() -> cache.put("k", "v", ttl)).isInstanceOf(InvalidEntryException.class)
                    .hasMessage("ttl must be a whole number of seconds from 1 to 86400");
        }
        assertThat(cache.size()).isZero();
        assertThat(cache.putCount()).isZero();
    }

    @Test
    void deleteRemovesALiveEntryAndCountsWhatItFound() {
        CacheService cache = cache();
        cache.put("k", "v");
        cache.put("expiring", "v", 1);
        assertThat(cache.delete("k")).isTrue();
        assertThat(cache.get("k")).isEmpty();
        assertThat(cache.delete("k")).as("deleted before").isFalse();
        assertThat(cache.delete("never")).isFalse();
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(cache.delete("expiring")).as("expired").isFalse();
        assertThat(cache.deletedCount()).isEqualTo(1);
        assertThat(cache.deleteMissCount()).isEqualTo(3);
        assertThatThrownBy(() -> cache.delete("")).hasMessage("key must not be empty");
    }

    @Test
    void rejectsInvalidKeysAndValuesAndStoresNothing() {
        CacheService cache = cache();
        assertThatThrownBy(() -> cache.put(null, "v")).isInstanceOf(InvalidEntryException.class)
                .hasMessage("key is required");
        assertThatThrownBy(() -> cache.put("", "v")).hasMessage("key must not be empty");
        assertThatThrownBy(() -> cache.put("k".repeat(257), "v"))
                .hasMessage("key must be at most 256 characters, was 257");
        assertThatThrownBy(() -> cache.put("kä", "v"))
                .hasMessage("key must contain only ASCII characters (U+0000 to U+007F), found one at index 1");
        assertThatThrownBy(() -> cache.put("k", null)).hasMessage("value is required");
        assertThatThrownBy(() -> cache.put("k", "v".repeat(257)))
                .hasMessage("value must be at most 256 characters, was 257");
        assertThatThrownBy(() -> cache.put("k", "\u20ac")).hasMessageStartingWith("value must contain only ASCII");
        assertThatThrownBy(() -> cache.get("")).hasMessage("key must not be empty");

        assertThat(cache.size()).isZero();
        assertThat(cache.putCount()).isZero();
    }

    @Test
    void limitsAtTheBoundaryAreAccepted() {
        CacheService cache = cache();
        cache.put("k".repeat(256), "v".repeat(256));
        assertThat(cache.get("k".repeat(256))).contains("v".repeat(256));
    }
}
