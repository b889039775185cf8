package dev.kvcache.cache;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The budget in the containers people run: the room for entries, and when the budget is cut. */
class MemoryBudgetTests {

    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    /** Local mode: no engine's memory beside the entries. */
    private static final long NO_ENGINE = 0;

    /**
     * The image on a t3.small: -XX:MaxRAMPercentage=5.5 gives the JVM's floor of 126 MiB of heap in 2 GiB,
     * -XX:MaxDirectMemorySize=1568m.
     */
    @Test
    void theDefaultBudgetFitsTheImageOnATwoGibContainer() {
        long heap = 126 * MIB;
        MemoryBudget budget = MemoryBudget.of(1536 * MIB, heap, 1568 * MIB, 2 * GIB, NO_ENGINE);
        assertThat(budget.capped()).isFalse();
        assertThat(budget.effective()).isEqualTo(1536 * MIB);
        assertThat(budget.room()).isEqualTo(1568 * MIB - MemoryBudget.DIRECT_RESERVE);
        assertThat(heap + budget.room() + MemoryBudget.DIRECT_RESERVE + MemoryBudget.NON_HEAP)
                .as("what the JVM may take").isLessThan(2 * GIB);
    }

    /** The same flags in a 1 GiB container: the room is what the container leaves, and the budget is cut. */
    @Test
    void aSmallerContainerCutsTheRoomAndTheBudget() {
        long heap = 64 * MIB;
        MemoryBudget budget = MemoryBudget.of(1536 * MIB, heap, 1568 * MIB, GIB, NO_ENGINE);
        assertThat(budget.capped()).isTrue();
        assertThat(budget.room()).isEqualTo(GIB - heap - MemoryBudget.NON_HEAP);
        assertThat(budget.effective()).isEqualTo(budget.room());
    }

    /** Without -XX:MaxDirectMemorySize the direct memory may be as large as the heap: that bounds the room. */
    @Test
    void theDirectMemoryLimitBoundsTheRoom() {
        MemoryBudget budget = MemoryBudget.of(1536 * MIB, 512 * MIB, 512 * MIB, 16 * GIB, NO_ENGINE);
        assertThat(budget.effective()).isEqualTo(512 * MIB - MemoryBudget.DIRECT_RESERVE);
    }

    /**
     * A member on Infinispan keeps its entries off the heap, in native memory: the image's flags give it a local
     * instance's room and budget, and the budget counts the engine's own memory beside the entries.
     */
    @Test
    void aMemberOnInfinispanCountsItsEnginesMemoryInTheLocalBudget() {
        MemoryBudget budget = MemoryBudget.of(1536 * MIB, 126 * MIB, 1568 * MIB, 2 * GIB,
                MemoryBudget.INFINISPAN_ENGINE);
        MemoryBudget local = MemoryBudget.of(1536 * MIB, 126 * MIB, 1568 * MIB, 2 * GIB, NO_ENGINE);
        assertThat(budget.room()).isEqualTo(local.room());
        assertThat(budget.capped()).as("the default fits: nothing to warn of").isFalse();
        assertThat(budget.engine()).isEqualTo(MemoryBudget.INFINISPAN_ENGINE);
        assertThat(budget.effective() + budget.engine()).isEqualTo(local.effective());
    }

    /** A small member budget (a trial, a test) keeps three quarters of it for entries. */
    @Test
    void aSmallMemberBudgetKeepsThreeQuartersForEntries() {
        MemoryBudget budget = MemoryBudget.of(64 * MIB, 126 * MIB, 1568 * MIB, 2 * GIB, MemoryBudget.INFINISPAN_ENGINE);
        assertThat(budget.capped()).isFalse();
        assertThat(budget.effective()).isEqualTo(48 * MIB);
    }

    /** When the room is what binds, the engine's share comes out of it, and the cut is reported. */
    @Test
    void aMemberInASmallContainerIsCut() {
        MemoryBudget budget = MemoryBudget.of(1536 * MIB, 64 * MIB, 1568 * MIB, GIB, MemoryBudget.INFINISPAN_ENGINE);
        assertThat(budget.capped()).isTrue();
        assertThat(budget.effective()).isEqualTo(GIB - 64 * MIB - MemoryBudget.NON_HEAP - MemoryBudget.INFINISPAN_ENGINE);
    }
}
