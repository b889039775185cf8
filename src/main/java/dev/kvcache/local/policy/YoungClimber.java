package dev.kvcache.local.policy;

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
 * stamp, in a table of 8 bytes a slot where a newer ghost overwrites an older one in its slot. Two kinds:
 * <ul>
 * <li>dropped from a young segment that left the young share unread, stamped with its write mark: a later miss on
 * it, while it is within {@code horizon + step} bytes of the newest write, would have hit with a horizon a step
 * larger;</li>
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
    private static final long MAIN = 1L << 63;
    private static final long COUNTED = 1L << 62;
    /** A ghost whose key was put again: kept until that entry leaves the young share. */
    private static final long RETURNING = 1L << 61;
    private static final int STAMP_BITS = 39;
    private static final long STAMP_MASK = (1L << STAMP_BITS) - 1;
    /** Stamps count 16-byte units: 39 bits cover 8 TB of writes before they wrap, harmlessly. */
    private static final int STAMP_UNIT_SHIFT = 4;

    private final long minHorizon;
    private final long maxHorizon;
    private final long step;
    /** Plain reads and writes: a torn or lost ghost only blurs the estimate. */
    private final long[] ghosts;
    private final int indexShift;
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
     * @param ghostSlots about how many ghosts to remember (rounded up to a power of two, at least 64)
     */
    public YoungClimber(long budget, long ghostSlots) {
        this.minHorizon = (long) (budget * MIN_YOUNG_SHARE);
        this.maxHorizon = (long) (budget * MAX_YOUNG_SHARE);
        this.step = Math.max(1, (long) (budget * STEP_SHARE));
        this.horizon = minHorizon;
        int size = Integer.highestOneBit((int) Math.min(1 << 28, Math.max(64, ghostSlots - 1)) * 2);
        this.ghosts = new long[size];
        this.indexShift = 64 - Integer.numberOfTrailingZeros(size >> SET_SHIFT);
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

    /** Heap of the ghosts' table, which the budget covers too. */
    public long ghostBytes() {
        return 16 + 8L * ghosts.length;
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
        if (at >= 0 && (ghosts[at] & RETURNING) == 0) {
            record(hash, RETURNING | COUNTED, 0);
        }
    }

    /** True if an entry leaving the young share was put after its key's ghost (see {@link #returning}); spends it. */
    public boolean returned(long hash) {
        int at = find(hash);
        if (at < 0 || (ghosts[at] & RETURNING) == 0) {
            return false;
        }
        ghosts[at] = 0;
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
        if (at < 0 || (ghosts[at] & COUNTED) != 0) {
            return;
        }
        long ghost = ghosts[at];
        ghosts[at] = ghost | COUNTED; // a ghost counts once, and stays for the put that follows a miss
        boolean main = (ghost & MAIN) != 0;
        if (!main) {
            unreadReturns++;
        }
        long age = ((((main ? mainDropped : written) >>> STAMP_UNIT_SHIFT) - ghost) & STAMP_MASK)
                << STAMP_UNIT_SHIFT;
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
    private void record(long hash, long kind, long mark) {
        int set = (int) (hash >>> indexShift) << SET_SHIFT;
        int at = find(hash);
        System.arraycopy(ghosts, set, ghosts, set + 1, (at < 0 ? set + SET_SIZE - 1 : at) - set);
        ghosts[set] = kind | fingerprint(hash) << STAMP_BITS | (mark >>> STAMP_UNIT_SHIFT) & STAMP_MASK;
    }

    /** Where the hash's ghost is, or -1. */
    private int find(long hash) {
        int set = (int) (hash >>> indexShift) << SET_SHIFT;
        long fingerprint = fingerprint(hash);
        for (int at = set; at < set + SET_SIZE; at++) {
            long ghost = ghosts[at];
            if (ghost != 0 && fingerprintOf(ghost) == fingerprint) {
                return at;
            }
        }
        return -1;
    }

    /** 22 bits of the hash that the table's index does not use; never 0, so an empty slot matches nothing. */
    private static long fingerprint(long hash) {
        return ((hash >>> 8) & 0x3FFFFF) | 1;
    }

    private static long fingerprintOf(long ghost) {
        return (ghost >>> STAMP_BITS) & 0x3FFFFF;
    }
}
