package dev.kvcache.cache;

import com.github.benmanes.caffeine.cache.Weigher;

/**
 * Weighs an entry as the heap it retains, in bytes: the key and value arrays (both {@link PackedAscii}, the
 * value's with its {@link StoredValue} header), the {@link Key} object, and Caffeine's per-entry structures.
 * Caffeine's weight is only what the weigher says, so the budget means heap only if this counts everything an
 * entry keeps alive. An entry held by the {@link RecencyReserve} instead retains less than this (its node is
 * smaller), so the same weight bounds it there too.
 */
final class EntryWeigher implements Weigher<Key, byte[]> {

    private final HeapLayout layout;
    private final int perEntryOverhead;

    EntryWeigher(HeapLayout layout) {
        this.layout = layout;
        this.perEntryOverhead = perEntryOverhead(layout);
    }

    @Override
    public int weigh(Key key, byte[] stored) {
        return perEntryOverhead + (int) (layout.byteArray(key.packedLength()) + layout.byteArray(stored.length));
    }

    /** The weight of an entry with a key and a value of these lengths, in characters. */
    int weigh(int keyLength, int valueLength) {
        return perEntryOverhead + (int) (layout.byteArray(PackedAscii.packedLength(keyLength))
                + layout.byteArray(StoredValue.HEADER + PackedAscii.packedLength(valueLength)));
    }

    /**
     * What every entry costs besides its key and value bytes. Checked against the real objects with JOL in tests;
     * re-check when upgrading Caffeine, whose node classes are generated per configuration.
     */
    static int perEntryOverhead(HeapLayout layout) {
        // ConcurrentHashMap.Node: int hash, key, value, next.
        long mapNode = layout.object(3, 4);
        // Caffeine's node with a maximum weight and variable expiry (class PSWMW): key, value, access-order links,
        // timer-wheel links, a long expiry time, int metadata, weight and policy weight.
        long cacheNode = layout.object(6, 3 * 4 + 8);
        // The hash table keeps 1.33 to 2.67 slots per entry (load factor 0.75, doubling): about 2.
        long tableSlots = 2L * layout.reference();
        // The Key object: its array and its hash.
        long key = layout.object(1, 4);
        // The frequency sketch keeps one long per entry, rounded up to a power of two: 8 to 16 bytes.
        long sketch = 12;
        return (int) (mapNode + cacheNode + tableSlots + sketch + key);
    }
}
