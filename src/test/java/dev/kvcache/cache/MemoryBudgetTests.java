package dev.kvcache.cache;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The budget in the containers people run: the rooms on the heap and off it, and when the budget is cut. */
class MemoryBudgetTests {

    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    /** The image on a t3.small: -XX:MaxRAMPercentage=30 (614 MiB), -XX:MaxDirectMemorySize=1152m, 2 GiB. */
    @Test
    void theDefaultBudgetFitsTheImageOnATwoGibContainer() {
        long heap = (long) (2 * GIB * 0.30);
        MemoryBudget budget = MemoryBudget.of(1536 * MIB, heap, 1152 * MIB, 2 * GIB, CacheProperties.Mode.LOCAL);
        assertThat(budget.capped()).isFalse();
        assertThat(budget.effective()).isEqualTo(1536 * MIB);
        assertThat(budget.heapRoom()).isEqualTo((long) (heap * MemoryBudget.LOCAL_HEAP_SHARE));
        assertThat(budget.offHeapRoom())
                .isEqualTo(1152 * MIB - MemoryBudget.DIRECT_RESERVE - MemoryBudget.OFF_HEAP_SLACK);
        assertThat(heap + budget.offHeapRoom() + MemoryBudget.OFF_HEAP_SLACK + MemoryBudget.NON_HEAP)
                .as("what the JVM may take").isLessThan(2 * GIB);
    }

    /** The same flags in a 1 GiB container: the off-heap room is what the container leaves, and the budget is cut. */
    @Test
    void aSmallerContainerCutsTheOffHeapRoomAndTheBudget() {
        long heap = (long) (GIB * 0.30);
        MemoryBudget budget = MemoryBudget.of(1536 * MIB, heap, 1152 * MIB, GIB, CacheProperties.Mode.LOCAL);
        assertThat(budget.capped()).isTrue();
        assertThat(budget.offHeapRoom()).isEqualTo(GIB - heap - MemoryBudget.NON_HEAP - MemoryBudget.OFF_HEAP_SLACK);
        assertThat(heap + budget.offHeapRoom() + MemoryBudget.OFF_HEAP_SLACK + MemoryBudget.NON_HEAP)
                .isLessThanOrEqualTo(GIB);
        assertThat(budget.effective()).isEqualTo(budget.heapRoom() + budget.offHeapRoom());
    }

    @Test
    void clusterModeKeepsEveryEntryOnTheHeap() {
        MemoryBudget budget = MemoryBudget.of(1536 * MIB, 1536 * MIB, 1536 * MIB, 2 * GIB,
                CacheProperties.Mode.CLUSTER);
        assertThat(budget.offHeapRoom()).isZero();
        assertThat(budget.effective()).isEqualTo((long) (1536 * MIB * MemoryBudget.CLUSTER_HEAP_SHARE));
    }
}
