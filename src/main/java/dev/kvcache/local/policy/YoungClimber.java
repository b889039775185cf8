package dev.kvcache.local.policy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

import com.google.errorprone.annotations.concurrent.GuardedBy;

/**
 * Decides the young share's horizon (how many bytes of the newest writes young segments keep) between
 * {@link #MIN_YOUNG_SHARE} and {@link #MAX_YOUNG_SHARE} of the budget, by the misses that a little more room on
 * either side would have saved; and remembers ghosts of what left, which also let a key that comes back skip the
 * young share's filter (S3-FIFO's ghost queue). The whole decision lives here, as Caffeine's hill climber lives in
 * its {@code WindowClimber}; the policy only applies what it returns.
 *
 * <p><b>Ghosts.</b> A ghost is what is remembered of an entry that was dropped: a fingerprint of its key and a
 * stamp, 4 bytes, in sets of 8 where the newest ghost pushes the set's oldest out. Two kinds:
 * <ul>
 * <li>dropped from a young segment that left the young share unread, stamped with its write mark: a later miss on
 * it, while it is within a step of the young share's span (at least the horizon) of the newest write, would have
 * hit with a young share a step larger;</li>
 * <li>dropped from a main segment, stamped with how many bytes main had dropped: a miss on it within a step's worth
 * of drops would have hit with a main a step larger.</li>
 * </ul>
 * A put of a key whose ghost is there ({@link #returning}) keeps the ghost, marked, until its entry leaves the
 * young share ({@link #returned}): a key asked for again after it left is worth keeping (S3-FIFO's ghost admission,
 * Yang et al., SOSP '23), unless the traffic loops (below).
 *
 * <p><b>Returns.</b> The share of the entries young dropped unread whose key was missed again while its ghost was
 * there: one-hit wonders keep it low (Zipf, a scan under a hot set: 0.15 at most), a loop over more keys than fit
 * (or a scan repeated) drives it to 1, or as far as the ghosts remember. From a quarter on ({@link #looping}),
 * coming back says nothing of a key's worth, as every key does: a returning key goes on to main only into its free
 * room, not in place of what main holds (Caffeine's admission, which keeps the incumbent on a tie, would do the
 * same per entry); and until main first fills, unread entries fill its room rather than leave it empty, so that
 * the next round finds them.
 *
 * <p><b>Steps.</b> Every {@link #SAMPLE} such misses the side that would have gained more grows by a step of
 * {@link #STEP_SHARE} of the budget, or by two when the other gained at most a quarter as much. The young share may
 * grow only while its hits per byte, since the last step, are at least main's: ghosts see the next step only, and a
 * young share that catches a few frequent keys on their way out must not starve the main that would keep them all.
 * Workloads that read back recent writes move the budget to the young share (toward FIFO); those whose misses are
 * on older keys read before move it to main (W-TinyLFU over segments); a workload with neither leaves it where it
 * is.
 */
public final class YoungClimber {

    /** The share of the budget whose most recent writes are always readable. */
    public static final double MIN_YOUNG_SHARE = 0.10;
    public static final double MAX_YOUNG_SHARE = 0.90;
    /** Share of the budget one step moves. */
    static final double STEP_SHARE = 1.0 / 32;
    /** Ghost hits per decision: few, so small caches adapt within a few times their capacity in traffic. */
    static final int SAMPLE = 8;

    /** Ghosts are kept in sets of 8 (a cache line), oldest last. */
    private static final int SET_SHIFT = 3;
    private static final int SET_SIZE = 1 << SET_SHIFT;
    /*
     * A ghost is an int: [main:1][counted:1][returning:1][fingerprint:21][stamp:8]. The stamp counts 1/64 of the
     * budget (of bytes written, or dropped from main): it tells the ages the decisions look at (up to a step past
     * the young share's span, at most about a budget) and wraps after four budgets, harmlessly.
     */
    private static final int MAIN = 1 << 31;
    private static final int COUNTED = 1 << 30;
    /** A ghost whose key was put again: kept until that entry leaves the young share. */
    private static final int RETURNING = 1 << 29;
    private static final int FINGERPRINT_SHIFT = 8;
    private static final int FINGERPRINT_MASK = (1 << 21) - 1;
    private static final int STAMP_MASK = 0xFF;
    private static final int STAMPS_PER_BUDGET = 64;

    private final long minHorizon;
    private final long maxHorizon;
    private final long step;
    /** Bytes a stamp counts. */
    private final long stampUnit;
    /** Off the heap, as everything the budget covers; plain reads and writes: a torn or lost ghost only blurs. */
    private final ByteBuffer ghosts;
    private final int ghostCount;
    /** Sets of {@link #SET_SIZE} ghosts; a hash's set is picked by its top 32 bits, scaled to their number. */
    private final int sets;
    private final LongAdder mainHits = new LongAdder();
    private final LongAdder youngHits = new LongAdder();
    @GuardedBy("this")
    private int mainGhostHits;
    @GuardedBy("this")
    private int youngGhostHits;
    @GuardedBy("this")
    private long mainHitsAtLastStep;
    @GuardedBy("this")
    private long youngHitsAtLastStep;
    private volatile long horizon;
    /** Entries young dropped unread, and misses on their ghosts, halved every {@code returnWindow} drops (racy). */
    private long unreadDrops;
    private long unreadReturns;
    private final int returnWindow;

    /**
     * @param budget the bytes the shares divide
     * @param ghostSlots about how many ghosts to remember (in sets of 8, at least 64)
     */
    public YoungClimber(long budget, long ghostSlots) {
        this.minHorizon = (long) (budget * MIN_YOUNG_SHARE);
        this.maxHorizon = (long) (budget * MAX_YOUNG_SHARE);
        this.step = Math.max(1, (long) (budget * STEP_SHARE));
        this.stampUnit = Math.max(1, budget / STAMPS_PER_BUDGET);
        this.horizon = minHorizon;
        this.sets = (int) Math.min(1 << 25, Math.max(8, ghostSlots / SET_SIZE));
        int size = sets * SET_SIZE;
        this.ghosts = ByteBuffer.allocateDirect(size * Integer.BYTES).order(ByteOrder.nativeOrder());
        this.ghostCount = size;
        this.returnWindow = Math.max(64, size / 16);
    }

    /** Bytes of the newest writes the young share keeps now. */
    public long horizon() {
        return horizon;
    }

    /** The guaranteed share: the horizon never goes below it. */
    public long minHorizon() {
        return minHorizon;
    }

    public long maxHorizon() {
        return maxHorizon;
    }

    /** Memory of the ghosts' table, which the budget covers too. */
    public long ghostBytes() {
        return (long) Integer.BYTES * ghostCount;
    }

    public void mainHit() {
        mainHits.increment();
    }

    public void youngHit() {
        youngHits.increment();
    }

    /** An entry left a young segment unread; {@code writeMark} is when it was written. */
    public void youngDropped(long hash, long writeMark) {
        record(hash, 0, writeMark);
        if (++unreadDrops >= returnWindow) {
            unreadDrops >>= 1;
            unreadReturns >>= 1;
        }
    }

    /**
     * True while at least a quarter of the entries young dropped unread were asked for again, as far as their ghosts
     * tell: the traffic goes round keys that young's filter drops (a loop, a scan repeated).
     */
    public boolean looping() {
        return unreadDrops > 0 && 4 * unreadReturns >= unreadDrops;
    }

    /** An entry left a main segment unread since it was last moved; {@code droppedMark}: main's drops so far. */
    public void mainDropped(long hash, long droppedMark) {
        record(hash, MAIN, droppedMark);
    }

    /**
     * A key is being put: if it has a ghost (it left not long ago and is wanted again), the ghost stays, marked and
     * as the newest of its set, until the entry leaves the young share ({@link #returned}).
     */
    public void returning(long hash) {
        int at = find(hash);
        if (at >= 0 && (ghost(at) & RETURNING) == 0) {
            record(hash, RETURNING | COUNTED, 0);
        }
    }

    /** True if an entry leaving the young share was put after its key's ghost (see {@link #returning}); spends it. */
    public boolean returned(long hash) {
        int at = find(hash);
        if (at < 0 || (ghost(at) & RETURNING) == 0) {
            return false;
        }
        setGhost(at, 0);
        return true;
    }

    /**
     * Told of a miss: when its ghost settles a decision that moves the horizon, sets it and hands it to
     * {@code apply} (under this climber's lock, so that decisions apply in order).
     *
     * @param written bytes written so far
     * @param youngSpan bytes of writes the young segments span now, which may be more than the horizon while main
     *     leaves them room: a dropped entry missed within a step of it would have hit with more young room
     * @param mainDropped bytes main has dropped so far
     * @param mainWeight what main holds, and {@code youngWeight} the young share, for the veto
     */
    public void missed(long hash, long written, long youngSpan, long mainDropped, long mainWeight, long youngWeight,
            LongConsumer apply) {
        int at = find(hash);
        if (at < 0 || (ghost(at) & COUNTED) != 0) {
            return;
        }
        int ghost = ghost(at);
        setGhost(at, ghost | COUNTED); // a ghost counts once, and stays for the put that follows a miss
        boolean main = (ghost & MAIN) != 0;
        if (!main) {
            unreadReturns++;
        }
        long age = (((main ? mainDropped : written) / stampUnit - ghost) & STAMP_MASK) * stampUnit;
        long horizonNow = horizon;
        if (age > (main ? step : Math.max(horizonNow, youngSpan) + step)) {
            return;
        }
        synchronized (this) {
            if (main) {
                mainGhostHits++;
            }
            else {
                youngGhostHits++;
            }
            if (youngGhostHits + mainGhostHits < SAMPLE) {
                return;
            }
            int more = Math.max(youngGhostHits, mainGhostHits);
            int steps = Math.min(youngGhostHits, mainGhostHits) * 4 <= more ? 2 : 1; // lopsided: clear evidence
            steps *= Integer.signum(youngGhostHits - mainGhostHits);
            youngGhostHits = 0;
            mainGhostHits = 0;
            if (steps == 0) {
                return;
            }
            long mainHitsNow = mainHits.sum();
            long youngHitsNow = youngHits.sum();
            double mainDensity = (double) (mainHitsNow - mainHitsAtLastStep) / Math.max(1, mainWeight);
            double youngDensity = (double) (youngHitsNow - youngHitsAtLastStep) / Math.max(1, youngWeight);
            mainHitsAtLastStep = mainHitsNow;
            youngHitsAtLastStep = youngHitsNow;
            long target = Math.max(minHorizon, Math.min(maxHorizon, horizon + steps * step));
            if (target < horizon || (target > horizon && youngDensity >= mainDensity)) {
                horizon = target;
                apply.accept(target);
            }
        }
    }

    /**
     * Remembers a ghost in its set, as the newest: the set's older ghosts move up a slot and its oldest is forgotten
     * (or the key's older ghost, if it has one), so that the table forgets in the order it learnt (a FIFO, as
     * S3-FIFO's ghost queue), not by chance collisions.
     */
    private void record(long hash, int kind, long mark) {
        int set = setOf(hash);
        int at = find(hash);
        for (int i = at < 0 ? set + SET_SIZE - 1 : at; i > set; i--) {
            setGhost(i, ghost(i - 1));
        }
        setGhost(set, kind | fingerprint(hash) << FINGERPRINT_SHIFT | (int) (mark / stampUnit) & STAMP_MASK);
    }

    /** The first slot of the hash's set: its top 32 bits, which the fingerprint does not use, scaled. */
    private int setOf(long hash) {
        return (int) (((hash >>> 32) * sets) >>> 32) << SET_SHIFT;
    }

    private int ghost(int at) {
        return ghosts.getInt(at << 2);
    }

    private void setGhost(int at, int ghost) {
        ghosts.putInt(at << 2, ghost);
    }

    /** Where the hash's ghost is, or -1. */
    private int find(long hash) {
        int set = setOf(hash);
        int fingerprint = fingerprint(hash);
        for (int at = set; at < set + SET_SIZE; at++) {
            int ghost = ghost(at);
            if (ghost != 0 && fingerprintOf(ghost) == fingerprint) {
                return at;
            }
        }
        return -1;
    }

    /** 21 bits of the hash that the choice of set does not use; never 0, so an empty slot matches nothing. */
    private static int fingerprint(long hash) {
        return (int) (hash >>> 8) & FINGERPRINT_MASK | 1;
    }

    private static int fingerprintOf(int ghost) {
        return ghost >>> FINGERPRINT_SHIFT & FINGERPRINT_MASK;
    }
}
