package dev.kvcache.cache;

import java.time.Duration;

import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;

import org.springframework.util.unit.DataSize;

/** A local cache for tests: the real Caffeine store, maintenance on the calling thread, no scheduler. */
final class LocalCaches {

    private LocalCaches() {
    }

    static CacheService create(long budgetBytes, Duration ttl, Ticker ticker) {
        return new CacheService(settings(budgetBytes), store(budgetBytes, ttl, ticker));
    }

    /** The store alone, as {@link #create} builds it. */
    static CaffeineStore store(long budgetBytes, Duration ttl, Ticker ticker) {
        return new CaffeineStore(ttl, budgetBytes, ticker, Runnable::run, Scheduler.disabledScheduler());
    }

    /** The default settings with this budget. */
    static CacheProperties settings(long budgetBytes) {
        return new CacheProperties(CacheProperties.Mode.LOCAL, DataSize.ofBytes(budgetBytes), Duration.ofMinutes(5),
                Duration.ofMinutes(1), 256, 256);
    }

    /** What the store's weigher makes of an entry of these lengths (with expiry). */
    static long entryWeight(int keyLength, int valueLength) {
        return new EntryWeigher(HeapLayout.current()).weigh(keyLength, valueLength);
    }
}
