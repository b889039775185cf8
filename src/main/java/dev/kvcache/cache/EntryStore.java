package dev.kvcache.cache;

/**
 * Where the entries live: this JVM's Caffeine cache ({@link CaffeineStore}) or a cluster of members
 * ({@code dev.kvcache.cluster.InfinispanStore}). Keys and values arrive checked by {@link CacheService}: both are
 * ASCII. Another engine can replace either without touching the HTTP layer.
 */
public interface EntryStore {

    /** Stores the value under the key, replacing any earlier one, to live {@code ttlNanos} (0: for ever). */
    void put(String key, String value, long ttlNanos);

    /** The value under the key, or null when there is none or it expired. */
    String get(String key);

    /** Removes the key's entry; true if there was a live one. */
    boolean delete(String key);

    /** Entries held (in a cluster: those this member owns). */
    long size();

    /** Memory the entries take as this store counts it (on the heap, and off it in local mode), in bytes. */
    long usedBytes();

    /** The byte budget the store evicts to stay within. */
    long budgetBytes();

    /** Entries removed to stay within the budget or because they expired. */
    long evictionCount();

    /** The part of {@link #evictionCount} that expired. */
    long expirationCount();

    /** Runs pending maintenance now, if the store has any. */
    default void cleanUp() {
    }
}
