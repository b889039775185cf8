package dev.kvcache.cache;

/**
 * The byte budget the cache really gets, and the room it is spent in. In local mode the entries, their index and
 * the policy's ghosts all live off the heap, in direct memory: the budget is what was configured, unless that is
 * more than the direct memory the JVM may take, or than the machine (or container) leaves beside the heap and the
 * JVM's own memory. A cluster member on Infinispan keeps its entries off the heap too, in native memory it allocates
 * itself, and gets the same room and budget; the budget counts what the engine's own classes, code and metadata
 * take beside the heap ({@link #INFINISPAN_ENGINE}) with the entries, so that a full member takes the real memory a
 * full local instance takes. {@code -XX:MaxDirectMemorySize} is then the operator's word for the memory the entries
 * and the engine may take beside the heap. A member on Hazelcast keeps its entries on the heap, and the budget is never
 * more than a safe share of it, so that a full cache leaves the collector and the rest of the service room to work.
 *
 * @param configured bytes asked for with {@code kvcache.max-memory}
 * @param maxHeap the JVM's maximum heap in bytes ({@code -Xmx} or its ergonomic default)
 * @param room the memory the entries may take: off the heap (local mode, Infinispan), or a share of the heap
 *     (Hazelcast)
 * @param offHeap true if {@code room} is off the heap
 * @param engine bytes of the budget a cluster engine's own memory takes off the heap (0 in local mode and on
 *     Hazelcast)
 * @param effective bytes the cache's entries may take: the budget, or the room if less, less the engine's share
 */
public record MemoryBudget(long configured, long maxHeap, long room, boolean offHeap, long engine, long effective) {

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
     * What an Infinispan member's JVM takes beside its heap over a local instance's: the classes, compiled code and
     * symbols of Infinispan, JGroups and protostream. A full member peaked 262–264 MiB above its entries' bytes as
     * Infinispan counts them at budgets of 512 MB and 1.5 GB, a full local instance 211 MiB above its store's
     * (bench/memory-fill.sh, --cluster, in the same 2 GiB container; docs/cluster.md): 52 MiB more, whatever the
     * budget. Reserved with room for the spread between runs.
     */
    public static final long INFINISPAN_ENGINE = 80L << 20;

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
        return of(configured, maxHeap, maxDirectMemory, totalMemory, onHeap, 0);
    }

    /**
     * The same, for a store whose engine takes {@code engine} bytes off the heap besides its entries (an Infinispan
     * member: {@link #INFINISPAN_ENGINE}), which the budget counts (at most a quarter of it).
     */
    public static MemoryBudget of(long configured, long maxHeap, long maxDirectMemory, long totalMemory,
            boolean onHeap, long engine) {
        if (onHeap) {
            long room = (long) (maxHeap * CLUSTER_HEAP_SHARE);
            return new MemoryBudget(configured, maxHeap, room, false, 0, Math.min(configured, room));
        }
        long room = Math.max(0, Math.min(maxDirectMemory - DIRECT_RESERVE, totalMemory - maxHeap - NON_HEAP));
        long budget = Math.min(configured, room);
        long share = Math.min(engine, budget / 4); // a small budget (tests, trials) still leaves its entries room
        return new MemoryBudget(configured, maxHeap, room, true, share, budget - share);
    }

    /** A local budget with ample room (tests): exactly what was asked for. */
    public static MemoryBudget unbounded(long budget) {
        return new MemoryBudget(budget, Long.MAX_VALUE, budget, true, 0, budget);
    }

    /** True when the configured budget did not fit and was cut. */
    public boolean capped() {
        return effective + engine < configured;
    }
}
