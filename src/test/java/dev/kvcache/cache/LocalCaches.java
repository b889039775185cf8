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
        var settings = new CacheProperties(CacheProperties.Mode.LOCAL, DataSize.ofBytes(budgetBytes), ttl,
                Duration.ofMinutes(1), 256, 256);
        return new CacheService(settings,
                new CaffeineStore(ttl, budgetBytes, ticker, Runnable::run, Scheduler.disabledScheduler()));
    }
}
