package dev.kvcache.cache;

import java.util.Optional;
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
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder puts = new LongAdder();

    public CacheService(CacheProperties settings, EntryStore store) {
        this.store = store;
        this.maxKeyLength = settings.maxKeyLength();
        this.maxValueLength = settings.maxValueLength();
    }

    /** Stores the value under the key, replacing any earlier one. */
    public void put(String key, String value) {
        checkKey(key);
        check("value", value, 0, maxValueLength);
        store.put(key, value);
        puts.increment();
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

    /** Entries removed to stay within the budget or because they expired. */
    public long evictionCount() {
        return store.evictionCount();
    }

    /** Entries held, including expired ones not yet cleaned up (in a cluster: this member's). */
    public long size() {
        return store.size();
    }

    /** Heap the entries retain, in bytes, as the store counts it. */
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
