package dev.kvcache.cache;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;

/**
 * The local store: one Caffeine cache bounded by the entries' retained heap ({@link EntryWeigher}), with
 * expiry after write. Keys are kept as {@link Key}s (their bytes), values as byte arrays.
 */
public final class CaffeineStore implements EntryStore {

    private final Cache<Key, byte[]> cache;
    private final Policy.Eviction<Key, byte[]> eviction;
    private final long budgetBytes;
    private final LongAdder evictions = new LongAdder();

    /**
     * @param ttl time an entry lives after its last write; zero for ever
     * @param budgetBytes the effective memory budget (see {@link MemoryBudget})
     * @param ticker the clock for expiry; {@link Ticker#systemTicker()} outside tests
     * @param executor where Caffeine runs its maintenance
     * @param scheduler wakes the cache when the next entry expires, so expired entries leave promptly
     */
    public CaffeineStore(Duration ttl, long budgetBytes, Ticker ticker, Executor executor, Scheduler scheduler) {
        this.budgetBytes = budgetBytes;
        boolean expiring = !ttl.isZero();
        Caffeine<Key, byte[]> builder = Caffeine.newBuilder()
                .maximumWeight(budgetBytes)
                .weigher(new EntryWeigher(HeapLayout.current(), expiring))
                .evictionListener((Key key, byte[] value, RemovalCause cause) -> evictions.increment())
                .ticker(ticker)
                .executor(executor);
        if (expiring) {
            builder.expireAfterWrite(ttl).scheduler(scheduler);
        }
        this.cache = builder.build();
        this.eviction = cache.policy().eviction().orElseThrow();
    }

    @Override
    public void put(String key, byte[] value) {
        cache.put(Key.of(key), value);
    }

    @Override
    public byte[] get(String key) {
        return cache.getIfPresent(Key.of(key));
    }

    @Override
    public long size() {
        return cache.estimatedSize();
    }

    /** Retained heap of the entries held, as counted by the weigher. */
    @Override
    public long usedBytes() {
        return eviction.weightedSize().orElse(0);
    }

    @Override
    public long budgetBytes() {
        return budgetBytes;
    }

    @Override
    public long evictionCount() {
        return evictions.sum();
    }

    /** Runs pending maintenance now: expired entries leave, evictions settle, the weighted size is exact. */
    @Override
    public void cleanUp() {
        cache.cleanUp();
    }
}
