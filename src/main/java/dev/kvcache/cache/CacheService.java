package dev.kvcache.cache;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import com.github.benmanes.caffeine.cache.stats.CacheStats;

/**
 * The key-value store: one Caffeine cache bounded by the entries' retained heap, with expiry after write.
 * Keys and values are checked here, so nothing that breaks the limits is ever stored, whoever calls.
 * Keys and values are ASCII, so both are kept as one byte per character ({@link Key}, {@code byte[]}) rather
 * than as {@code String}s.
 */
public final class CacheService {

    private final Cache<Key, byte[]> cache;
    private final Policy.Eviction<Key, byte[]> eviction;
    private final int maxKeyLength;
    private final int maxValueLength;
    private final long budgetBytes;
    private final LongAdder puts = new LongAdder();

    /**
     * @param settings limits and expiry
     * @param budgetBytes the effective memory budget (see {@link MemoryBudget})
     * @param ticker the clock for expiry; {@link Ticker#systemTicker()} outside tests
     * @param executor where Caffeine runs its maintenance and removals
     * @param scheduler wakes the cache when the next entry expires, so expired entries leave promptly
     */
    public CacheService(CacheProperties settings, long budgetBytes, Ticker ticker, Executor executor,
            Scheduler scheduler) {
        this.maxKeyLength = settings.maxKeyLength();
        this.maxValueLength = settings.maxValueLength();
        this.budgetBytes = budgetBytes;
        boolean expiring = !settings.ttl().isZero();
        Caffeine<Key, byte[]> builder = Caffeine.newBuilder()
                .maximumWeight(budgetBytes)
                .weigher(new EntryWeigher(HeapLayout.current(), expiring))
                .ticker(ticker)
                .executor(executor)
                .recordStats();
        if (expiring) {
            builder.expireAfterWrite(settings.ttl()).scheduler(scheduler);
        }
        this.cache = builder.build();
        this.eviction = cache.policy().eviction().orElseThrow();
    }

    /** Stores the value under the key, replacing any earlier one. */
    public void put(String key, String value) {
        checkKey(key);
        check("value", value, 0, maxValueLength);
        cache.put(Key.of(key), value.getBytes(StandardCharsets.ISO_8859_1)); // ASCII: one byte per char
        puts.increment();
    }

    /** The value stored under the key, if it is there and has not expired. */
    public Optional<String> get(String key) {
        checkKey(key);
        byte[] value = cache.getIfPresent(Key.of(key));
        return value == null ? Optional.empty() : Optional.of(new String(value, StandardCharsets.ISO_8859_1));
    }

    /** Runs pending maintenance now: expired entries leave, evictions settle, the weighted size is exact. */
    public void cleanUp() {
        cache.cleanUp();
    }

    public CacheStats stats() {
        return cache.stats();
    }

    /** Calls of {@link #put} that stored an entry. */
    public long putCount() {
        return puts.sum();
    }

    /** Entries held, including expired ones not yet cleaned up. */
    public long size() {
        return cache.estimatedSize();
    }

    /** Retained heap of the entries held, in bytes, as counted by the weigher. */
    public long weightedSize() {
        return eviction.weightedSize().orElse(0);
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    public Optional<Duration> ttl() {
        return cache.policy().expireAfterWrite().map(Policy.FixedExpiration::getExpiresAfter);
    }

    private void checkKey(String key) {
        check("key", key, 1, maxKeyLength);
    }

    private static void check(String name, String text, int minLength, int maxLength) {
        if (text == null) {
            throw new InvalidEntryException(name + " is required");
        }
        int length = text.length();
        if (length < minLength) {
            throw new InvalidEntryException(name + " must not be empty");
        }
        if (length > maxLength) {
            throw new InvalidEntryException(
                    name + " must be at most " + maxLength + " characters, was " + length);
        }
        for (int i = 0; i < length; i++) {
            if (text.charAt(i) > 0x7F) {
                throw new InvalidEntryException(
                        name + " must contain only ASCII characters (U+0000 to U+007F), found one at index " + i);
            }
        }
    }
}
