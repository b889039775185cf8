package dev.kvcache.cache;

/**
 * The byte budget the cache really gets: what was configured, but never more than a safe share of the
 * JVM's maximum heap, so that a full cache leaves the collector and the rest of the service room to work.
 *
 * @param configured bytes asked for with {@code kvcache.max-memory}
 * @param maxHeap the JVM's maximum heap in bytes ({@code -Xmx} or its ergonomic default)
 * @param share the share of the heap the entries may take
 * @param effective bytes the cache may hold
 */
public record MemoryBudget(long configured, long maxHeap, double share, long effective) {

    /**
     * Share of the max heap local mode's entries may take; the rest is the service itself (with up to
     * {@code server.tomcat.max-connections} clients at once) and the collector's room. Measured in the image
     * under a write flood ({@code bench/memory-fill.sh}) and with a full cache under abusive clients
     * ({@code scripts/abuse.sh --full}): docs/memory.md.
     */
    public static final double LOCAL_HEAP_SHARE = 0.80;

    /** The same for cluster mode, not measured beyond 70%: Hazelcast estimates entry sizes more coarsely. */
    public static final double CLUSTER_HEAP_SHARE = 0.70;

    /** The budget for a store of this mode. */
    public static MemoryBudget of(long configured, long maxHeap, CacheProperties.Mode mode) {
        double share = mode == CacheProperties.Mode.CLUSTER ? CLUSTER_HEAP_SHARE : LOCAL_HEAP_SHARE;
        return new MemoryBudget(configured, maxHeap, share, Math.min(configured, (long) (maxHeap * share)));
    }

    /** True when the configured budget did not fit the heap and was cut to the safe share. */
    public boolean capped() {
        return effective < configured;
    }
}
