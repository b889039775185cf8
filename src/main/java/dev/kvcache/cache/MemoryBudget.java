package dev.kvcache.cache;

/**
 * The byte budget the cache really gets, and the room it is spent in. In local mode the entries, their index and
 * the policy's ghosts all live off the heap, in direct memory: the budget is what was configured, unless that is
 * more than the direct memory the JVM may take, or than the machine (or container) leaves beside the heap and the
 * JVM's own memory. A cluster member on Infinispan keeps its entries off the heap too, in native memory it allocates
 * itself, and gets the same room: {@code -XX:MaxDirectMemorySize} is then the operator's word for the memory the
 * entries may take beside the heap. A member on Hazelcast keeps its entries on the heap, and the budget is never
 * more than a safe share of it, so that a full cache leaves the collector and the rest of the service room to work.
 *
 * @param configured bytes asked for with {@code kvcache.max-memory}
 * @param maxHeap the JVM's maximum heap in bytes ({@code -Xmx} or its ergonomic default)
 * @param room the memory the entries may take: off the heap (local mode, Infinispan), or a share of the heap
 *     (Hazelcast)
 * @param offHeap true if {@code room} is off the heap
 * @param effective bytes the cache may take
 */
public record MemoryBudget(long configured, long maxHeap, long room, boolean offHeap, long effective) {

    /** The share of the heap cluster mode's entries may take: Hazelcast estimates entry sizes coarsely. */
    public static final double CLUSTER_HEAP_SHARE = 0.70;

    /** Direct memory left to others than the entries (the JDK's and Tomcat's buffers). */
    public static final long DIRECT_RESERVE = 32L << 20;

    /**
     * The JVM's memory beside its heap and direct memory: code, metaspace, threads' stacks, the collector's own
     * structures. The entries' room never takes it from the machine's (or container's) memory.
     */
    public static final long NON_HEAP = 160L << 20;

    /**
     * The budget for a store of this mode in a JVM of this heap and direct memory, on a machine (or in a container)
     * of {@code totalMemory}; in cluster mode, a store that keeps its entries on the heap.
     */
    public static MemoryBudget of(long configured, long maxHeap, long maxDirectMemory, long totalMemory,
            CacheProperties.Mode mode) {
        return of(configured, maxHeap, maxDirectMemory, totalMemory, mode == CacheProperties.Mode.CLUSTER);
    }

    /**
     * The budget for a store that keeps its entries on the heap ({@code onHeap}) or off it, in a JVM of this heap
     * and direct memory, on a machine (or in a container) of {@code totalMemory}.
     */
    public static MemoryBudget of(long configured, long maxHeap, long maxDirectMemory, long totalMemory,
            boolean onHeap) {
        if (onHeap) {
            long room = (long) (maxHeap * CLUSTER_HEAP_SHARE);
            return new MemoryBudget(configured, maxHeap, room, false, Math.min(configured, room));
        }
        long room = Math.max(0, Math.min(maxDirectMemory - DIRECT_RESERVE, totalMemory - maxHeap - NON_HEAP));
        return new MemoryBudget(configured, maxHeap, room, true, Math.min(configured, room));
    }

    /** A local budget with ample room (tests): exactly what was asked for. */
    public static MemoryBudget unbounded(long budget) {
        return new MemoryBudget(budget, Long.MAX_VALUE, budget, true, budget);
    }

    /** True when the configured budget did not fit and was cut. */
    public boolean capped() {
        return effective < configured;
    }
}
