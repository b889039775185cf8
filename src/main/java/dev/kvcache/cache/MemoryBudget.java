package dev.kvcache.cache;

/**
 * The byte budget the cache really gets: what was configured, but never more than a safe share of the
 * JVM's maximum heap, so that a full cache leaves the collector and the rest of the service room to work.
 *
 * @param configured bytes asked for with {@code kvcache.max-memory}
 * @param maxHeap the JVM's maximum heap in bytes ({@code -Xmx} or its ergonomic default)
 * @param effective bytes the cache may hold
 */
public record MemoryBudget(long configured, long maxHeap, long effective) {

    /** Share of the max heap the entries may take; the rest is the service itself and the collector's room. */
    public static final double SAFE_HEAP_SHARE = 0.70;

    public static MemoryBudget of(long configured, long maxHeap) {
        long safe = (long) (maxHeap * SAFE_HEAP_SHARE);
        return new MemoryBudget(configured, maxHeap, Math.min(configured, safe));
    }

    /** True when the configured budget did not fit the heap and was cut to the safe share. */
    public boolean capped() {
        return effective < configured;
    }
}
