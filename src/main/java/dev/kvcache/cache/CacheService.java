package dev.kvcache.cache;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The key-value cache as the API sees it, whatever {@link EntryStore} holds the entries. Keys and values are
 * checked here, so nothing that breaks the limits is ever stored, whoever calls; and here they are counted
 * (hits, misses, puts), the same way in every mode.
 */
public final class CacheService {

    private final EntryStore store;
    private final int maxKeyLength;
    private final int maxValueLength;
    private final long defaultTtlNanos;
    private final long maxTtlSeconds;
    private final String ttlRule;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder puts = new LongAdder();
    private final LongAdder deleted = new LongAdder();
    private final LongAdder deleteMisses = new LongAdder();

    public CacheService(CacheProperties settings, EntryStore store) {
        this.store = store;
        this.maxKeyLength = settings.maxKeyLength();
        this.maxValueLength = settings.maxValueLength();
        this.defaultTtlNanos = settings.ttl().toNanos();
        this.maxTtlSeconds = settings.maxTtl().getSeconds();
        this.ttlRule = "ttl must be a whole number of seconds from 1 to " + maxTtlSeconds;
    }

    /** Stores the value under the key, replacing any earlier one, for the default time to live. */
    public void put(String key, String value) {
        store(key, value, defaultTtlNanos, true);
    }

    /** Stores the value under the key, replacing any earlier one and its time to live, for {@code ttlSeconds}. */
    public void put(String key, String value, long ttlSeconds) {
        store(key, value, TimeUnit.SECONDS.toNanos(ttlSeconds), ttlSeconds >= 1 && ttlSeconds <= maxTtlSeconds);
    }

    private void store(String key, String value, long ttlNanos, boolean ttlValid) {
        checkKey(key);
        check("value", value, 0, maxValueLength);
        if (!ttlValid) {
            throw new InvalidEntryException(ttlRule);
        }
        store.put(key, value, ttlNanos);
        puts.increment();
    }

    /** What a time to live must be, for a caller that finds it is not a whole number at all. */
    public String ttlRule() {
        return ttlRule;
    }

    /** Removes the key's entry; true if there was a live one. */
    public boolean delete(String key) {
        checkKey(key);
        boolean removed = store.delete(key);
        (removed ? deleted : deleteMisses).increment();
        return removed;
    }

    /** The value stored under the key, if it is there and has not expired. */
    public Optional<String> get(String key) {
        checkKey(key);
        String value = store.get(key);
        if (value == null) {
            misses.increment();
            return Optional.empty();
        }
        hits.increment();
        return Optional.of(value);
    }

    /** Runs the store's pending maintenance now. */
    public void cleanUp() {
        store.cleanUp();
    }

    /** Lookups that found a live entry. */
    public long hitCount() {
        return hits.sum();
    }

    /** Lookups that found no entry, or an expired one. */
    public long missCount() {
        return misses.sum();
    }

    /** Calls of {@link #put} that stored an entry. */
    public long putCount() {
        return puts.sum();
    }

    /** Calls of {@link #delete} that removed a live entry. */
    public long deletedCount() {
        return deleted.sum();
    }

    /** Calls of {@link #delete} that found no live entry. */
    public long deleteMissCount() {
        return deleteMisses.sum();
    }

    /** Entries removed to stay within the budget or because they expired. */
    public long evictionCount() {
        return store.evictionCount();
    }

    /** The part of {@link #evictionCount} that expired. */
    public long expirationCount() {
        return store.expirationCount();
    }

    /** Entries held, including expired ones not yet cleaned up (in a cluster: this member's). */
    public long size() {
        return store.size();
    }

    /** Memory the entries take, in bytes, as the store counts it. */
    public long weightedSize() {
        return store.usedBytes();
    }

    public long budgetBytes() {
        return store.budgetBytes();
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
