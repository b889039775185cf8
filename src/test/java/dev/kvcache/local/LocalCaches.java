package dev.kvcache.local;

import java.time.Duration;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.kvcache.cache.CacheProperties;
import dev.kvcache.cache.CacheService;

import org.springframework.util.unit.DataSize;

/** A local cache for tests: the real segment store, maintenance on the calling thread, no scheduler. */
public final class LocalCaches {

    private LocalCaches() {
    }

    public static CacheService create(long budgetBytes, Duration ttl, Ticker ticker) {
        return new CacheService(settings(budgetBytes, ttl), store(budgetBytes, ticker));
    }

    /** The store alone, as {@link #create} builds it. */
    public static SegmentStore store(long budgetBytes, Ticker ticker) {
        return new SegmentStore(budgetBytes, ticker);
    }

    /** The default settings with this budget and time to live. */
    public static CacheProperties settings(long budgetBytes, Duration ttl) {
        return new CacheProperties(CacheProperties.Mode.LOCAL, DataSize.ofBytes(budgetBytes), ttl,
                Duration.ofDays(1), Duration.ofMinutes(1), 256, 256);
    }

    /** What an entry of these lengths costs in the store: its bytes in a segment and its share of the index. */
    public static long entryCost(int keyLength, int valueLength) {
        return SegmentStore.entryCost(keyLength, valueLength);
    }
}
