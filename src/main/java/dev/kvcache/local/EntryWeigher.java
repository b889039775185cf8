package dev.kvcache.local;

import dev.kvcache.cache.MemoryBudget;

/**
 * Weighs an entry as the memory it takes: its {@link Slabs} chunk off the heap, and on the heap its index, the
 * same for every entry: the {@link IndexEntry} object and Caffeine's per-entry structures. Caffeine's weight is only
 * what the weigher says, so the budget means memory only if this counts everything an entry keeps.
 *
 * <p>When the heap's or the slabs' room is smaller than the budget (see {@link MemoryBudget}), an entry weighs
 * at least its share of the scarcer room scaled up to the budget: entries that fill the budget then fit both
 * rooms, whatever their sizes (tiny ones would otherwise fill the heap with index before the budget is spent).
 * An entry held by the {@link RecencyReserve} instead takes less heap than this (its structures are smaller), so
 * the same weight bounds it there too.
 */
final class EntryWeigher {

    private final int index;
    private final double heapScale;
    private final double offHeapScale;

    EntryWeigher(HeapLayout layout, MemoryBudget budget) {
        this.index = indexBytes(layout);
        this.heapScale = Math.max(1.0, (double) budget.effective() / Math.max(1, budget.heapRoom()));
        this.offHeapScale = Math.max(1.0, (double) budget.effective() / Math.max(1, budget.offHeapRoom()));
    }

    /** The weight of an entry with a key and a value of these lengths, in characters. */
    int weigh(int keyLength, int valueLength) {
        int chunk = Slabs.chunkSize(ChunkLayout.size(keyLength, valueLength));
        long scaled = Math.max((long) Math.ceil(index * heapScale), (long) Math.ceil(chunk * offHeapScale));
        return (int) Math.max(index + chunk, scaled);
    }

    /**
     * What every entry takes on the heap. Checked against the real objects with JOL in tests; re-check when
     * upgrading Caffeine, whose node classes are generated per configuration.
     */
    static int indexBytes(HeapLayout layout) {
        // ConcurrentHashMap.Node: int hash, key, value, next.
        long mapNode = layout.object(3, 4);
        // Caffeine's node with a maximum weight and variable expiry (class PSWMW): key, value, access-order links,
        // timer-wheel links, a long expiry time, int metadata, weight and policy weight.
        long cacheNode = layout.object(6, 3 * 4 + 8);
        // The hash table keeps 1.33 to 2.67 slots per entry (load factor 0.75, doubling): about 2.
        long tableSlots = 2L * layout.reference();
        // The IndexEntry, Caffeine's key and value at once: fingerprint, chunk reference, weight, read flag.
        long entry = layout.object(0, 8 + 8 + 4 + 1);
        // The frequency sketch keeps one long per entry, rounded up to a power of two: 8 to 16 bytes.
        long sketch = 12;
        return (int) (mapNode + cacheNode + tableSlots + entry + sketch);
    }
}
