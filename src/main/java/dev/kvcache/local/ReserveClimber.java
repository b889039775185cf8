package dev.kvcache.local;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

import com.google.errorprone.annotations.concurrent.GuardedBy;

/**
 * Splits the budget between Caffeine and the {@link RecencyReserve}: records the hits in each part and the misses
 * that either would have turned into hits with a little more room, and returns the reserve's horizon and the
 * maximum Caffeine may hold beside the reserve. The whole decision lives here, as Caffeine's hill climber lives in
 * its {@code WindowClimber}; the store only applies what it returns.
 *
 * <p><b>Ghosts.</b> A ghost is what is remembered of an entry that left the cache: a fingerprint of its key and a
 * stamp, in a table of 8 bytes a slot where newer ghosts overwrite older ones. Two kinds:
 * <ul>
 * <li>dropped by the reserve, stamped with its write mark: a later miss on it, while it is within
 * {@code horizon + step} bytes of the newest write, would have hit with a reserve a step larger;</li>
 * <li>evicted by Caffeine after it was read there, too old for the reserve, stamped with how many bytes Caffeine
 * had evicted: a miss on it within a step's worth of evictions would have hit with a Caffeine a step larger
 * (exactly so if Caffeine were LRU, nearly so for W-TinyLFU). Entries never read are left out: that they were
 * evicted says nothing in favour of frequency.</li>
 * </ul>
 *
 * <p><b>Steps.</b> Every {@link #SAMPLE} such misses the side that would have gained more grows by a step of
 * {@link #STEP_SHARE} of the budget, or by two when the other gained at most a quarter as much, within
 * {@link #MIN_RESERVE_SHARE} and {@link #MAX_RESERVE_SHARE} for the reserve. The reserve may grow only while its
 * hits per byte, since the last step, are at least Caffeine's: ghosts see the next step only, and a reserve that
 * catches a few frequent keys on their way out must not starve the Caffeine that would keep them all. Workloads
 * that read back recent writes move the budget to the reserve (toward FIFO); those whose misses are on older keys
 * read before move it to Caffeine (W-TinyLFU); a workload with neither leaves it where it is.
 *
 * <p><b>Caffeine's maximum</b> is the budget less the room it leaves the reserve and the ghosts' table. That room
 * follows the reserve's weight in quanta of 1/{@link #QUANTA_PER_BUDGET} of the budget, between half a quantum and
 * three above it: what one put moves into the reserve stays well within it, and Caffeine's maximum changes rarely
 * (each change restarts the adaptation of Caffeine's own admission window).
 */
final class ReserveClimber {

    /** The share of the budget whose most recent writes are always readable. */
    static final double MIN_RESERVE_SHARE = 0.10;
    static final double MAX_RESERVE_SHARE = 0.90;
    /** Share of the budget one step moves. */
    static final double STEP_SHARE = 1.0 / 32;
    /** Ghost hits per decision: few, so small caches adapt within a few times their capacity in traffic. */
    static final int SAMPLE = 8;
    /** One ghost slot (8 bytes) per this many bytes of budget: a ghost for about every 6 entries of 256/256. */
    static final int BUDGET_BYTES_PER_GHOST = 4096;
    /** Steps in which Caffeine's maximum follows the reserve's weight. */
    static final int QUANTA_PER_BUDGET = 64;

    private static final long MAIN = 1L << 63;
    private static final int STAMP_BITS = 39;
    private static final long STAMP_MASK = (1L << STAMP_BITS) - 1;
    /** Stamps count 16-byte units: 39 bits cover 8 TB of writes before they wrap, harmlessly. */
    private static final int STAMP_UNIT_SHIFT = 4;

    private final long budget;
    private final long minHorizon;
    private final long maxHorizon;
    private final long step;
    private final long quantum;
    /** Plain reads and writes: a torn or lost ghost only blurs the estimate. */
    private final long[] ghosts;
    private final int indexShift;
    private final LongAdder mainHits = new LongAdder();
    private final LongAdder reserveHits = new LongAdder();
    @GuardedBy("this")
    private int mainGhostHits;
    @GuardedBy("this")
    private int reserveGhostHits;
    @GuardedBy("this")
    private long mainHitsAtLastStep;
    @GuardedBy("this")
    private long reserveHitsAtLastStep;
    /** Bytes of the budget Caffeine's maximum leaves to the reserve now; written under the lock. */
    private volatile long leftToReserve;

    ReserveClimber(long budget) {
        this.budget = budget;
        this.minHorizon = (long) (budget * MIN_RESERVE_SHARE);
        this.maxHorizon = (long) (budget * MAX_RESERVE_SHARE);
        this.step = Math.max(1, (long) (budget * STEP_SHARE));
        this.quantum = Math.max(1, budget / QUANTA_PER_BUDGET);
        this.leftToReserve = quantum;
        int slots = (int) Math.min(1 << 24, budget / BUDGET_BYTES_PER_GHOST);
        int size = Integer.highestOneBit(Math.max(64, slots - 1) * 2);
        this.ghosts = new long[size];
        this.indexShift = 64 - Integer.numberOfTrailingZeros(size);
    }

    /** The horizon the reserve starts with, and never goes below: the guaranteed share. */
    long minHorizon() {
        return minHorizon;
    }

    /** The largest horizon the reserve will be given. */
    long maxHorizon() {
        return maxHorizon;
    }

    /** Heap of the ghosts' table, which the budget covers too. */
    long ghostBytes() {
        return 16 + 8L * ghosts.length;
    }

    /** What Caffeine may hold now. */
    long mainMaximum() {
        return Math.max(0, budget - leftToReserve - ghostBytes());
    }

    void mainHit() {
        mainHits.increment();
    }

    void reserveHit() {
        reserveHits.increment();
    }

    /** The reserve dropped an entry past its horizon. */
    void reserveDropped(IndexEntry key, long writeMark) {
        record(key, 0, writeMark);
    }

    /** Caffeine evicted an entry that had been read there, too old for the reserve. */
    void mainEvicted(IndexEntry key, long evictedMark) {
        record(key, MAIN, evictedMark);
    }

    /**
     * Told of a miss in both Caffeine and the reserve: when its ghost settles a decision that moves the horizon,
     * hands the new horizon to {@code apply} (under this climber's lock, so that decisions apply in order).
     *
     * @param written bytes written so far
     * @param mainEvicted bytes Caffeine has evicted so far
     * @param horizon the reserve's horizon
     * @param mainWeight what Caffeine holds, and {@code reserveWeight} the reserve, for the veto
     */
    void missed(IndexEntry key, long written, long mainEvicted, long horizon, long mainWeight, long reserveWeight,
            LongConsumer apply) {
        long hash = key.fingerprint; // already a seeded, well-mixed hash
        int index = (int) (hash >>> indexShift);
        long ghost = ghosts[index];
        if (ghost == 0 || (ghost & ~MAIN) >>> STAMP_BITS != fingerprint(hash)) {
            return;
        }
        ghosts[index] = 0; // a ghost counts once
        boolean main = (ghost & MAIN) != 0;
        long age = ((((main ? mainEvicted : written) >>> STAMP_UNIT_SHIFT) - ghost) & STAMP_MASK) << STAMP_UNIT_SHIFT;
        if (age > (main ? step : horizon + step)) {
            return;
        }
        synchronized (this) {
            if (main) {
                mainGhostHits++;
            }
            else {
                reserveGhostHits++;
            }
            if (reserveGhostHits + mainGhostHits < SAMPLE) {
                return;
            }
            int more = Math.max(reserveGhostHits, mainGhostHits);
            int steps = Math.min(reserveGhostHits, mainGhostHits) * 4 <= more ? 2 : 1; // lopsided: clear evidence
            steps *= Integer.signum(reserveGhostHits - mainGhostHits);
            reserveGhostHits = 0;
            mainGhostHits = 0;
            if (steps == 0) {
                return;
            }
            long mainHitsNow = mainHits.sum();
            long reserveHitsNow = reserveHits.sum();
            double mainDensity = (double) (mainHitsNow - mainHitsAtLastStep) / Math.max(1, mainWeight);
            double reserveDensity = (double) (reserveHitsNow - reserveHitsAtLastStep) / Math.max(1, reserveWeight);
            mainHitsAtLastStep = mainHitsNow;
            reserveHitsAtLastStep = reserveHitsNow;
            long target = Math.max(minHorizon, Math.min(maxHorizon, horizon + steps * step));
            if (target < horizon || (target > horizon && reserveDensity >= mainDensity)) {
                apply.accept(target);
            }
        }
    }

    /**
     * Keeps Caffeine's maximum at the budget less the reserve's weight, so that one budget covers both and the
     * reserve takes room only as it fills (a cache that has never evicted has the whole budget for Caffeine): when
     * the weight has left its band, hands the new maximum to {@code apply}, under this climber's lock.
     */
    void fit(long reserveWeight, LongConsumer apply) {
        long left = leftToReserve;
        if (inBand(reserveWeight, left)) {
            return;
        }
        synchronized (this) {
            long fitted = (reserveWeight / quantum + 2) * quantum;
            if (fitted != leftToReserve && !inBand(reserveWeight, leftToReserve)) {
                leftToReserve = fitted;
                apply.accept(mainMaximum());
            }
        }
    }

    private boolean inBand(long reserveWeight, long left) {
        return reserveWeight + quantum / 2 <= left && reserveWeight + 3 * quantum >= left;
    }

    private void record(IndexEntry key, long kind, long mark) {
        long hash = key.fingerprint;
        ghosts[(int) (hash >>> indexShift)] = kind | fingerprint(hash) << STAMP_BITS
                | (mark >>> STAMP_UNIT_SHIFT) & STAMP_MASK;
    }

    /** 24 bits of the hash that the index does not use; never 0, so an empty slot matches nothing. */
    private static long fingerprint(long hash) {
        return ((hash >>> 8) & 0xFFFFFF) | 1;
    }
}
