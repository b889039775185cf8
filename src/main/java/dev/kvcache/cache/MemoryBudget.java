package dev.kvcache.cache;

/**
 * The byte budget the cache really gets, and the room it is spent in. The entries live off the heap: in local mode,
 * with their index and the policy's ghosts, in direct memory; on a cluster member, in native memory Infinispan
 * allocates itself. The budget is what was configured, unless that is more than the direct memory the JVM may take,
 * or than the machine (or container) leaves beside the heap and the JVM's own memory: {@code -XX:MaxDirectMemorySize}
 * is the operator's word for the memory the entries (and a member's engine) may take beside the heap. A member's
 * budget counts what the engine's own classes, code and metadata take ({@link #INFINISPAN_ENGINE}) with the
 * entries, so that a full member takes the real memory a full local instance takes.
 *
 * @param configured bytes asked for with {@code kvcache.max-memory}
 * @param maxHeap the JVM's maximum heap in bytes ({@code -Xmx} or its ergonomic default)
 * @param room the memory beside the heap the entries (and a member's engine) may take
 * @param engine bytes of the budget the cluster engine's own memory takes (0 in local mode)
 * @param effective bytes the cache's entries may take: the budget, or the room if less, less the engine's share
 */
public record MemoryBudget(long configured, long maxHeap, long room, long engine, long effective) {

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
     * The budget in a JVM of this heap and direct memory, on a machine (or in a container) of {@code totalMemory},
     * for a store whose engine takes {@code engine} bytes beside its entries (a cluster member:
     * {@link #INFINISPAN_ENGINE}; local mode: 0), which the budget counts (at most a quarter of it).
     */
    public static MemoryBudget of(long configured, long maxHeap, long maxDirectMemory, long totalMemory,
            long engine) {
        long room = Math.max(0, Math.min(maxDirectMemory - DIRECT_RESERVE, totalMemory - maxHeap - NON_HEAP));
        long budget = Math.min(configured, room);
        long share = Math.min(engine, budget / 4); // a small budget (tests, trials) still leaves its entries room
        return new MemoryBudget(configured, maxHeap, room, share, budget - share);
    }

    /** A local budget with ample room (tests): exactly what was asked for. */
    public static MemoryBudget unbounded(long budget) {
        return new MemoryBudget(budget, Long.MAX_VALUE, budget, 0, budget);
    }

    /** True when the configured budget did not fit and was cut. */
    public boolean capped() {
        return effective + engine < configured;
    }
}
