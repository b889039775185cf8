package dev.kvcache.cache;

import com.github.benmanes.caffeine.cache.Weigher;

/**
 * Weighs an entry as the heap it retains, in bytes: the key and value arrays, the {@link Key} object, and
 * the cache's own per-entry structures. Caffeine's weight is only what the weigher says, so the budget
 * means heap only if this counts everything an entry keeps alive.
 */
final class EntryWeigher implements Weigher<Key, byte[]> {

    private final HeapLayout layout;
    private final int perEntryOverhead;

    EntryWeigher(HeapLayout layout, boolean expiring) {
        this.layout = layout;
        this.perEntryOverhead = perEntryOverhead(layout, expiring);
    }

    @Override
    public int weigh(Key key, byte[] value) {
        return perEntryOverhead + (int) (layout.byteArray(key.length()) + layout.byteArray(value.length));
    }

    /**
     * What every entry costs besides its key and value bytes. Checked against the real objects with JOL in tests;
     * re-check when upgrading Caffeine, whose node classes are generated per configuration.
     */
    static int perEntryOverhead(HeapLayout layout, boolean expiring) {
        // ConcurrentHashMap.Node: int hash, key, value, next.
        long mapNode = layout.object(3, 4);
        // Caffeine's node: key, value, access-order links, int weight, policy weight and queue type;
        // with expireAfterWrite also write-order links and a long write time (class PSWMW, else PSMW).
        long cacheNode = expiring ? layout.object(6, 3 * 4 + 8) : layout.object(4, 3 * 4);
        // The hash table keeps 1.33 to 2.67 slots per entry (load factor 0.75, doubling): about 2.
        long tableSlots = 2L * layout.reference();
        // The Key object: its array and its hash.
        long key = layout.object(1, 4);
        // The frequency sketch keeps one long per entry, rounded up to a power of two: 8 to 16 bytes.
        long sketch = 12;
        return (int) (mapNode + cacheNode + tableSlots + sketch + key);
    }
}
