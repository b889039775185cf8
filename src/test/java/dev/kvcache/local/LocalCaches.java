package dev.kvcache.local;

import java.time.Duration;

import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.kvcache.cache.CacheProperties;
import dev.kvcache.cache.CacheService;
import dev.kvcache.cache.MemoryBudget;

import org.springframework.util.unit.DataSize;

/** A local cache for tests: the real Caffeine store, maintenance on the calling thread, no scheduler. */
public final class LocalCaches {

    private LocalCaches() {
    }

    public static CacheService create(long budgetBytes, Duration ttl, Ticker ticker) {
        return new CacheService(settings(budgetBytes, ttl), store(budgetBytes, ticker));
    }

    /** The store alone, as {@link #create} builds it. */
    public static CaffeineStore store(long budgetBytes, Ticker ticker) {
        return new CaffeineStore(budgetBytes, ticker, Runnable::run, Scheduler.disabledScheduler());
    }

    /** The default settings with this budget and time to live. */
    public static CacheProperties settings(long budgetBytes, Duration ttl) {
        return new CacheProperties(CacheProperties.Mode.LOCAL, DataSize.ofBytes(budgetBytes), ttl,
                Duration.ofDays(1), Duration.ofMinutes(1), 256, 256);
    }

    /** What the store's weigher makes of an entry of these lengths (with expiry). */
    public static long entryWeight(int keyLength, int valueLength) {
        return new EntryWeigher(HeapLayout.current(), MemoryBudget.unbounded(Long.MAX_VALUE))
                .weigh(keyLength, valueLength);
    }
}
