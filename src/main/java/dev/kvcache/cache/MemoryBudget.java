package dev.kvcache.cache;

/**
 * The byte budget the cache really gets, and the rooms it is spent in. In local mode an entry takes heap for its
 * index and off-heap memory for its bytes; the budget is what was configured, unless that is more than the two
 * rooms together. In cluster mode the entries live on the heap, and the budget is never more than a safe share of
 * it, so that a full cache leaves the collector and the rest of the service room to work.
 *
 * @param configured bytes asked for with {@code kvcache.max-memory}
 * @param maxHeap the JVM's maximum heap in bytes ({@code -Xmx} or its ergonomic default)
 * @param share the share of the heap the entries may take
 * @param heapRoom heap the entries may take: {@code share} of the heap
 * @param offHeapRoom off-heap memory the entries' bytes may take (0 in cluster mode), beside
 *     {@link #OFF_HEAP_SLACK} for the off-heap store's own use
 * @param effective bytes the cache may hold
 */
public record MemoryBudget(long configured, long maxHeap, double share, long heapRoom, long offHeapRoom,
        long effective) {

    /**
     * Share of the max heap local mode's index may take; the rest is the service itself (with up to
     * {@code server.tomcat.max-connections} clients at once) and the collector's room (docs/memory.md).
     */
    public static final double LOCAL_HEAP_SHARE = 0.75;

    /** The share for cluster mode's entries, all on the heap: Hazelcast estimates entry sizes coarsely. */
    public static final double CLUSTER_HEAP_SHARE = 0.70;

    /** Direct memory left to others than the entries (the JDK's and Tomcat's buffers). */
    public static final long DIRECT_RESERVE = 32L << 20;

    /**
     * The JVM's memory beside its heap and the entries' off-heap pages: code, metaspace, threads' stacks, the
     * collector's own structures. The off-heap room never takes it from the machine's (or container's) memory.
     */
    public static final long NON_HEAP = 256L << 20;

    /** Off-heap memory kept beside the entries' room, for the store's pages of freed bytes not yet taken back. */
    public static final long OFF_HEAP_SLACK = 32L << 20;

    /**
     * The budget for a store of this mode in a JVM of this heap and direct memory, on a machine (or in a container)
     * of {@code totalMemory}.
     */
    public static MemoryBudget of(long configured, long maxHeap, long maxDirectMemory, long totalMemory,
            CacheProperties.Mode mode) {
        if (mode == CacheProperties.Mode.CLUSTER) {
            long heapRoom = (long) (maxHeap * CLUSTER_HEAP_SHARE);
            return new MemoryBudget(configured, maxHeap, CLUSTER_HEAP_SHARE, heapRoom, 0,
                    Math.min(configured, heapRoom));
        }
        long heapRoom = (long) (maxHeap * LOCAL_HEAP_SHARE);
        long offHeapRoom = Math.max(0, Math.min(maxDirectMemory - DIRECT_RESERVE,
                totalMemory - maxHeap - NON_HEAP) - OFF_HEAP_SLACK);
        return new MemoryBudget(configured, maxHeap, LOCAL_HEAP_SHARE, heapRoom, offHeapRoom,
                Math.min(configured, heapRoom + offHeapRoom));
    }

    /** A local budget with ample room on the heap and off it (tests): every entry weighs what it takes. */
    public static MemoryBudget unbounded(long budget) {
        return new MemoryBudget(budget, Long.MAX_VALUE, 1.0, budget, budget, budget);
    }

    /** The off-heap memory the entries' bytes may take: the off-heap room, and no more than the budget. */
    public long chunkRoom() {
        return Math.min(effective, offHeapRoom);
    }

    /** True when the configured budget did not fit and was cut. */
    public boolean capped() {
        return effective < configured;
    }
}
