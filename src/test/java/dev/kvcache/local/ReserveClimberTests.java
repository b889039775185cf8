package dev.kvcache.local;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The budget's split alone: ghosts turn misses into steps of the reserve's horizon, one way or the other, within
 * its bounds, growth is vetoed when the reserve earns less per byte than Caffeine, and Caffeine's maximum follows
 * the reserve's weight in quanta. A budget of 8 MiB keeps the arithmetic round: steps of 256 KiB, quanta of 128.
 */
class ReserveClimberTests {

    private static final long BUDGET = 8L << 20;
    private static final long STEP = BUDGET / 32;
    private static final long QUANTUM = BUDGET / 64;

    private final ReserveClimber climber = new ReserveClimber(BUDGET);
    private final List<Long> applied = new ArrayList<>();

    @Test
    void caffeineStartsWithTheBudgetLessAQuantumAndTheGhosts() {
        assertThat(climber.minHorizon()).isEqualTo((long) (BUDGET * 0.10));
        assertThat(climber.maxHorizon()).isEqualTo((long) (BUDGET * 0.90));
        assertThat(climber.ghostBytes()).as("a slot per 4 KB of budget").isEqualTo(16 + 8 * 2048);
        assertThat(climber.mainMaximum()).isEqualTo(BUDGET - QUANTUM - climber.ghostBytes());
    }

    @Test
    void caffeinesMaximumFollowsTheReservesWeightInQuantaAndOnlyWhenItLeavesItsBand() {
        climber.fit(QUANTUM / 2, applied::add);
        assertThat(applied).as("within half a quantum of the room left").isEmpty();

        climber.fit(QUANTUM, applied::add);
        assertThat(applied).containsExactly(BUDGET - 3 * QUANTUM - climber.ghostBytes());

        climber.fit(2 * QUANTUM, applied::add);
        assertThat(applied).as("still within the band").hasSize(1);

        climber.fit(5 * QUANTUM, applied::add);
        assertThat(applied).hasSize(2).last().isEqualTo(BUDGET - 7 * QUANTUM - climber.ghostBytes());

        climber.fit(QUANTUM, applied::add);
        assertThat(applied).as("more than three quanta below the room: it shrinks").hasSize(3)
                .last().isEqualTo(BUDGET - 3 * QUANTUM - climber.ghostBytes());
        assertThat(climber.mainMaximum()).isEqualTo(applied.get(2));
    }

    @Test
    void missesOnWritesTheReserveDroppedGrowItByTwoStepsWhenTheEvidenceIsOneSided() {
        long horizon = climber.minHorizon();
        long written = 100L << 20;
        for (int i = 0; i < ReserveClimber.SAMPLE; i++) {
            climber.reserveDropped(key(i), written - horizon - STEP / 2); // half a step past the horizon
        }
        for (int i = 0; i < ReserveClimber.SAMPLE; i++) {
            missed(i, written, 0, horizon);
        }
        assertThat(applied).containsExactly(horizon + 2 * STEP);
    }

    @Test
    void missesOnKeysCaffeineEvictedAfterReadingThemShrinkTheReserveDownToItsMinimumOnly() {
        long horizon = climber.minHorizon() + STEP;
        long evicted = 50L << 20;
        for (int i = 0; i < ReserveClimber.SAMPLE; i++) {
            climber.mainEvicted(key(i), evicted - STEP / 2);
        }
        for (int i = 0; i < ReserveClimber.SAMPLE; i++) {
            missed(i, 100L << 20, evicted, horizon);
        }
        assertThat(applied).as("two steps down, bounded by the guaranteed share").containsExactly(climber.minHorizon());
    }

    @Test
    void theReserveMayNotGrowWhileItEarnsLessPerByteThanCaffeine() {
        for (int i = 0; i < 1_000; i++) {
            climber.mainHit();
        }
        climber.reserveHit();
        long written = 100L << 20;
        long horizon = climber.minHorizon();
        for (int i = 0; i < ReserveClimber.SAMPLE; i++) {
            climber.reserveDropped(key(i), written - horizon - STEP / 2);
            missed(i, written, 0, horizon); // Caffeine: 1,000 hits on 4 MB; the reserve: 1 on 1 MB
        }
        assertThat(applied).isEmpty();
    }

    @Test
    void aGhostCountsOnceAndOnlyWithinAStepOfTheHorizon() {
        long horizon = climber.minHorizon();
        long written = 100L << 20;
        for (int i = 0; i < ReserveClimber.SAMPLE; i++) {
            climber.reserveDropped(key(i), written - horizon - STEP / 2);
        }
        climber.reserveDropped(key(100), written - horizon - 2 * STEP); // too old to have been saved by a step
        missed(100, written, 0, horizon);
        for (int i = 0; i < ReserveClimber.SAMPLE - 1; i++) {
            missed(i, written, 0, horizon);
            missed(i, written, 0, horizon); // the same ghost again: already counted
        }
        assertThat(applied).as("seven ghosts counted").isEmpty();

        missed(ReserveClimber.SAMPLE - 1, written, 0, horizon);
        assertThat(applied).hasSize(1);
    }

    @Test
    void theHorizonStaysAtItsMaximum() {
        long horizon = climber.maxHorizon();
        long written = 100L << 20;
        for (int i = 0; i < ReserveClimber.SAMPLE; i++) {
            climber.reserveDropped(key(i), written - horizon - STEP / 2);
            missed(i, written, 0, horizon);
        }
        assertThat(applied).isEmpty();
    }

    private void missed(int key, long written, long mainEvicted, long horizon) {
        climber.missed(key(key), written, mainEvicted, horizon, 4L << 20, 1L << 20, applied::add);
    }

    /** Keys whose ghosts fall in slots of their own (the slot is the fingerprint's top bits). */
    private static IndexEntry key(int i) {
        return IndexEntry.lookup((long) i << 53 | 0x5A5A_5A00L);
    }
}
