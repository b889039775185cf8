package dev.kvcache.cache;

/**
 * The byte budget the cache really gets, and the rooms it is spent in. In local mode an entry takes heap for its
 * index and off-heap memory ({@link Slabs}) for its bytes; the budget is what was configured, unless that is
 * more than the two rooms together. In cluster mode the entries live on the heap, and the budget is never more
 * than a safe share of it, so that a full cache leaves the collector and the rest of the service room to work.
 *
 * @param configured bytes asked for with {@code kvcache.max-memory}
 * @param maxHeap the JVM's maximum heap in bytes ({@code -Xmx} or its ergonomic default)
 * @param share the share of the heap the entries may take
 * @param heapRoom heap the entries may take: {@code share} of the heap
 * @param offHeapRoom off-heap memory the entries may take (0 in cluster mode)
 * @param effective bytes the cache may hold
 * @param slabBytes the most the slabs' pages may take: the chunks' room, and some for freed chunks not yet taken
 *     back and pages being written ({@link #slabSlack})
 */
public record MemoryBudget(long configured, long maxHeap, double share, long heapRoom, long offHeapRoom,
        long effective, long slabBytes) {

    /**
     * Share of the max heap local mode's index may take; the rest is the service itself (with up to
     * {@code server.tomcat.max-connections} clients at once) and the collector's room. Measured in the image
     * under a write flood ({@code bench/memory-fill.sh}): docs/memory.md.
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

    /** The most off-heap memory beyond the chunks' own room (see {@link #slabSlack}). */
    static final long SLAB_SLACK = 32L << 20;
    /** The least: the stripes' open pages, the pages kept back for moving chunks, and two more. */
    static final long MIN_SLAB_SLACK = 8L * Slabs.PAGE_SIZE;

    /**
     * The budget for a store of this mode in a JVM of this heap and direct memory, on a machine (or in a container)
     * of {@code totalMemory}.
     */
    public static MemoryBudget of(long configured, long maxHeap, long maxDirectMemory, long totalMemory,
            CacheProperties.Mode mode) {
        if (mode == CacheProperties.Mode.CLUSTER) {
            long heapRoom = (long) (maxHeap * CLUSTER_HEAP_SHARE);
            return new MemoryBudget(configured, maxHeap, CLUSTER_HEAP_SHARE, heapRoom, 0,
                    Math.min(configured, heapRoom), 0);
        }
        long heapRoom = (long) (maxHeap * LOCAL_HEAP_SHARE);
        long offHeapRoom = Math.max(0, Math.min(maxDirectMemory - DIRECT_RESERVE,
                totalMemory - maxHeap - NON_HEAP) - SLAB_SLACK);
        long effective = Math.min(configured, heapRoom + offHeapRoom);
        long chunkRoom = Math.min(effective, offHeapRoom);
        return new MemoryBudget(configured, maxHeap, LOCAL_HEAP_SHARE, heapRoom, offHeapRoom, effective,
                chunkRoom + slabSlack(chunkRoom));
    }

    /** A local budget with ample room on the heap and off it (tests): every entry weighs what it takes. */
    static MemoryBudget unbounded(long budget) {
        return new MemoryBudget(budget, Long.MAX_VALUE, 1.0, budget, budget, budget, budget + slabSlack(budget));
    }

    /**
     * Pages beyond the chunks' room: 5% of it, at least a few pages and at most {@link #SLAB_SLACK}. The page cleaner
     * keeps the freed room within it; the less there is, the more live chunks it moves to take it back.
     */
    static long slabSlack(long chunkRoom) {
        return Math.max(MIN_SLAB_SLACK, Math.min(SLAB_SLACK, chunkRoom / 20));
    }

    /** True when the configured budget did not fit and was cut. */
    public boolean capped() {
        return effective < configured;
    }
}
