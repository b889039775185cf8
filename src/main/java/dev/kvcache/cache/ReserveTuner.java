package dev.kvcache.cache;

/**
 * Decides whether the {@link RecencyReserve} or Caffeine should have more of the budget, from the misses that
 * either would have turned into hits with a little more room (their marginal utility, estimated with ghosts).
 *
 * <p>A ghost is what is remembered of an entry that left the cache: a fingerprint of its key and a stamp, in a
 * table of 8 bytes a slot where newer ghosts overwrite older ones. Two kinds:
 * <ul>
 * <li>dropped by the reserve, stamped with its write mark: a later miss on it, while it is within
 * {@code horizon + band} bytes of the newest write, would have hit with a reserve {@code band} bytes larger;</li>
 * <li>evicted by Caffeine after it was read there, too old for the reserve, stamped with how many bytes Caffeine
 * had evicted: a miss on it within {@code band} bytes of evictions would have hit with a Caffeine {@code band}
 * bytes larger (exactly so if Caffeine were LRU, nearly so for W-TinyLFU). Entries never read are left out:
 * that they were evicted says nothing in favour of frequency.</li>
 * </ul>
 * Every {@link #SAMPLE} such misses the side that would have gained more is told to grow by a step, or by two
 * when the other gained at most a quarter as much. Workloads that read back recent writes move the budget to the
 * reserve (toward LRU/FIFO); those whose misses are on older keys read before move it to Caffeine (W-TinyLFU);
 * a workload with neither leaves it where it is. The store vetoes growth where the reserve's hits per byte are
 * below Caffeine's ({@code CaffeineStore}), since ghosts see the next step only.
 */
final class ReserveTuner {

    /** Ghost hits per decision: few, so small caches adapt within a few times their capacity in traffic. */
    static final int SAMPLE = 8;

    private static final long MAIN = 1L << 63;
    private static final int STAMP_BITS = 39;
    private static final long STAMP_MASK = (1L << STAMP_BITS) - 1;
    /** Stamps count 16-byte units: 39 bits cover 8 TB of writes before they wrap, harmlessly. */
    private static final int STAMP_UNIT_SHIFT = 4;

    private final long[] ghosts;
    private final int indexShift;
    private final long band;
    private int reserveHits;
    private int mainHits;

    /**
     * @param slots ghost slots, rounded up to a power of two
     * @param band the bytes a step moves, and the margin within which a ghost counts
     */
    ReserveTuner(int slots, long band) {
        int size = Integer.highestOneBit(Math.max(64, slots - 1) * 2);
        this.ghosts = new long[size];
        this.indexShift = 64 - Integer.numberOfTrailingZeros(size);
        this.band = band;
    }

    /** Heap of the ghost table. */
    long bytes() {
        return 16 + 8L * ghosts.length;
    }

    void reserveDropped(Entry key, long writeMark) {
        record(key, 0, writeMark);
    }

    void mainEvicted(Entry key, long evictedMark) {
        record(key, MAIN, evictedMark);
    }

    /**
     * Told of a miss in both Caffeine and the reserve.
     *
     * @param written bytes written so far
     * @param mainEvicted bytes Caffeine has evicted so far
     * @param horizon the reserve's horizon
     * @return steps the reserve should grow by (1 or 2), or shrink by (-1 or -2), or 0
     */
    int missed(Entry key, long written, long mainEvicted, long horizon) {
        long hash = hash(key);
        int index = (int) (hash >>> indexShift);
        long ghost = ghosts[index]; // plain reads and writes: a torn or lost ghost only blurs the estimate
        if (ghost == 0 || (ghost & ~MAIN) >>> STAMP_BITS != fingerprint(hash)) {
            return 0;
        }
        ghosts[index] = 0; // a ghost counts once
        boolean main = (ghost & MAIN) != 0;
        long age = ((((main ? mainEvicted : written) >>> STAMP_UNIT_SHIFT) - ghost) & STAMP_MASK) << STAMP_UNIT_SHIFT;
        if (age > (main ? band : horizon + band)) {
            return 0;
        }
        synchronized (this) {
            if (main) {
                mainHits++;
            }
            else {
                reserveHits++;
            }
            if (reserveHits + mainHits < SAMPLE) {
                return 0;
            }
            int more = Math.max(reserveHits, mainHits);
            int steps = Math.min(reserveHits, mainHits) * 4 <= more ? 2 : 1; // lopsided: clear evidence
            int decision = Integer.signum(reserveHits - mainHits) * steps;
            reserveHits = 0;
            mainHits = 0;
            return decision;
        }
    }

    private void record(Entry key, long kind, long mark) {
        long hash = hash(key);
        ghosts[(int) (hash >>> indexShift)] = kind | fingerprint(hash) << STAMP_BITS
                | (mark >>> STAMP_UNIT_SHIFT) & STAMP_MASK;
    }

    private static long hash(Entry key) {
        return key.fingerprint; // already a seeded, well-mixed hash
    }

    /** 24 bits of the hash that the index does not use; never 0, so an empty slot matches nothing. */
    private static long fingerprint(long hash) {
        return ((hash >>> 8) & 0xFFFFFF) | 1;
    }
}
