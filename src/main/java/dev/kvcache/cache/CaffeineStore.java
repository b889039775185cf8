package dev.kvcache.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.kvcache.snapshot.EntrySink;

/**
 * The local store: a Caffeine cache (W-TinyLFU, bounded by the entries' retained heap, see {@link EntryWeigher})
 * with a {@link RecencyReserve} behind its eviction that keeps the newest writes Caffeine evicts, so that what
 * users just wrote stays readable. One budget covers both, and the {@link ReserveTuner}'s ghosts: Caffeine may
 * hold what the reserve and the ghosts cannot take, and the tuner moves budget between the two by the misses
 * each would have saved (docs/eviction.md).
 *
 * <p>The reserve's horizon is at least {@link #MIN_RESERVE_SHARE} of the budget: the most recent writes filling
 * that share are readable until they expire or are replaced, whatever came before. It is at most
 * {@link #MAX_RESERVE_SHARE}, so that Caffeine always keeps a frequency-aware part.
 */
public final class CaffeineStore implements EntryStore {

    /** The share of the budget whose most recent writes are always readable. */
    static final double MIN_RESERVE_SHARE = 0.10;
    static final double MAX_RESERVE_SHARE = 0.90;
    /** Share of the budget one tuning step moves. */
    static final double STEP_SHARE = 1.0 / 32;
    /** Buckets of the reserve per budget: the granularity of its dropping. */
    static final int BUCKETS_PER_BUDGET = 256;
    /** One ghost slot (8 bytes) per this many bytes of budget: a ghost for about every 6 entries of 256/256. */
    static final int BUDGET_BYTES_PER_GHOST = 4096;
    /** Steps in which Caffeine's maximum follows the reserve's weight. */
    static final int QUANTA_PER_BUDGET = 64;

    private final Cache<Key, byte[]> main;
    private final Policy.Eviction<Key, byte[]> eviction;
    private final RecencyReserve reserve;
    private final ReserveTuner tuner;
    private final EntryWeigher weigher = new EntryWeigher(HeapLayout.current());
    private final Ticker ticker;
    /** A delete and a promotion of the same key take turns (see {@link #delete}). */
    private final Object[] keyLocks = new Object[64];
    private final long budgetBytes;
    private final long minHorizon;
    private final long maxHorizon;
    private final long step;
    /** The granularity of the room Caffeine leaves the reserve (see {@link #fitReserve}). */
    private final long quantum;
    /** Bytes of the budget Caffeine's maximum leaves to the reserve now. */
    private volatile long leftToReserve;
    /** Bytes of entries written so far: the write mark of the newest entry. */
    private final AtomicLong written = new AtomicLong();
    /** Bytes Caffeine has evicted so far; changed only inside Caffeine's eviction, under its lock. */
    private volatile long mainEvicted;
    private final LongAdder evictions = new LongAdder();
    /** Hits in each part, for the tuner's veto (see {@link #tune}). */
    private final LongAdder mainHits = new LongAdder();
    private final LongAdder reserveHits = new LongAdder();
    private long mainHitsAtLastStep;
    private long reserveHitsAtLastStep;

    /**
     * @param budgetBytes the effective memory budget (see {@link MemoryBudget})
     * @param ticker the clock for expiry; {@link Ticker#systemTicker()} outside tests
     * @param executor where Caffeine runs its maintenance
     * @param scheduler wakes the cache when the next entry expires, so expired entries leave promptly
     */
    public CaffeineStore(long budgetBytes, Ticker ticker, Executor executor, Scheduler scheduler) {
        this.budgetBytes = budgetBytes;
        this.ticker = ticker;
        this.minHorizon = (long) (budgetBytes * MIN_RESERVE_SHARE);
        this.maxHorizon = (long) (budgetBytes * MAX_RESERVE_SHARE);
        this.step = Math.max(1, (long) (budgetBytes * STEP_SHARE));
        this.quantum = Math.max(1, budgetBytes / QUANTA_PER_BUDGET);
        this.leftToReserve = quantum;
        this.tuner = new ReserveTuner((int) Math.min(1 << 24, budgetBytes / BUDGET_BYTES_PER_GHOST), step);
        this.reserve = new RecencyReserve(maxHorizon, Math.max(1, budgetBytes / BUCKETS_PER_BUDGET), minHorizon,
                this::reserveDropped);
        this.main = Caffeine.newBuilder()
                .maximumWeight(mainMaximum())
                .weigher(weigher)
                .expireAfter(new ExpiryInValue())
                .evictionListener(this::mainEvicted)
                .ticker(ticker)
                .executor(executor)
                .scheduler(scheduler)
                .build();
        this.eviction = main.policy().eviction().orElseThrow();
        for (int i = 0; i < keyLocks.length; i++) {
            keyLocks[i] = new Object();
        }
    }

    @Override
    public void put(String key, String value, long ttlNanos) {
        Key k = Key.of(key);
        int weight = weigher.weigh(key.length(), value.length());
        long expiresAt = ttlNanos == 0 ? StoredValue.NEVER : ticker.read() + ttlNanos;
        byte[] stored = StoredValue.of(value, written.addAndGet(weight), expiresAt);
        main.put(k, stored);
        reserve.removeUnless(k, stored); // an older write Caffeine evicted earlier must not outlive this one
        fitReserve();
    }

    @Override
    public String get(String key) {
        Key k = Key.of(key);
        byte[] stored = main.getIfPresent(k);
        if (stored != null) {
            mainHits.increment();
            StoredValue.markRead(stored);
            return StoredValue.text(stored);
        }
        RecencyReserve.Held held = reserve.get(k, ticker.read());
        if (held != null) {
            reserveHits.increment();
            if (!held.promoted) {
                promote(held);
            }
            return StoredValue.text(held.value);
        }
        int steps = tuner.missed(k, written.get(), mainEvicted, reserve.horizon());
        if (steps != 0) {
            tune(steps);
        }
        return null;
    }

    /**
     * Puts an entry read in the reserve back into Caffeine, whose frequency sketch counts the read: a key read
     * often earns its admission. Only while the reserve still holds this very write (inside Caffeine's atomic
     * computation for the key, which a put of the key or an eviction of it waits for): a newer write must never
     * be shadowed by an older one.
     */
    private void promote(RecencyReserve.Held held) {
        boolean[] inserted = new boolean[1];
        synchronized (keyLock(held.key)) {
            main.asMap().computeIfAbsent(held.key, key -> {
                inserted[0] = reserve.holds(held);
                return inserted[0] ? held.value : null;
            });
        }
        if (inserted[0]) {
            reserve.promoted(held);
            fitReserve();
        }
    }

    /**
     * Removes the key from Caffeine, then from the reserve: an eviction of the key in between (which moves it to
     * the reserve inside Caffeine's computation for the key) is then undone too. A promotion could put the entry
     * back into Caffeine in between, so the two take turns on a lock of the key's.
     */
    @Override
    public boolean delete(String key) {
        Key k = Key.of(key);
        synchronized (keyLock(k)) {
            boolean live = main.asMap().remove(k) != null; // null for an entry that expired, too
            return reserve.remove(k, ticker.read()) || live;
        }
    }

    private Object keyLock(Key key) {
        return keyLocks[key.hashCode() & (keyLocks.length - 1)];
    }

    @Override
    public long size() {
        return main.estimatedSize() + reserve.size();
    }

    /** Heap of the entries held, in Caffeine and in the reserve, and of the tuner's ghosts, as weighed. */
    @Override
    public long usedBytes() {
        return eviction.weightedSize().orElse(0) + reserve.weight() + tuner.bytes();
    }

    @Override
    public long budgetBytes() {
        return budgetBytes;
    }

    @Override
    public long evictionCount() {
        return evictions.sum();
    }

    /**
     * Hands every live entry to the sink, for a snapshot, while the store goes on serving: Caffeine's and the
     * reserve's maps are walked as they are (weakly consistent: an entry written meanwhile may or may not be in),
     * nothing is copied first. A value's bytes never change once stored, so no entry is ever written torn.
     */
    void writeEntriesTo(EntrySink sink) throws IOException {
        long nowNanos = ticker.read();
        long nowMillis = System.currentTimeMillis();
        try { // forEach walks Caffeine's map without an entry object per entry
            main.asMap().forEach((key, stored) -> {
                try {
                    write(sink, key, stored, nowNanos, nowMillis);
                }
                catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            });
        }
        catch (UncheckedIOException ex) {
            throw ex.getCause();
        }
        for (RecencyReserve.Held held : reserve.held()) {
            if (!held.promoted) { // a promoted one is in Caffeine too, and written from there
                write(sink, held.key, held.value, nowNanos, nowMillis);
            }
        }
    }

    private static void write(EntrySink sink, Key key, byte[] stored, long nowNanos, long nowMillis)
            throws IOException {
        if (StoredValue.expired(stored, nowNanos)) {
            return;
        }
        long remaining = StoredValue.remaining(stored, nowNanos);
        // Rounded down to the millisecond: restored, an entry expires a little early rather than late.
        long expiresAt = remaining == Long.MAX_VALUE ? 0 : nowMillis + remaining / 1_000_000;
        // A snapshot holds one byte a character, whatever the store packs (see docs/warm-restart.md).
        sink.add(key.ascii(), StoredValue.ascii(stored), expiresAt, StoredValue.writeMark(stored));
    }

    /** The weight of an entry of these lengths, as the store counts it. */
    int weigh(int keyLength, int valueLength) {
        return weigher.weigh(keyLength, valueLength);
    }

    /** What the store can take in without evicting anything, for restoring a snapshot into an empty store. */
    long restorableBytes() {
        return mainMaximum();
    }

    /**
     * Prepares for restoring entries written up to {@code maxWriteOrder}: the writes from now on come after
     * them, so the entries keep their order (what the recency reserve protects after a restart).
     */
    void beforeRestoring(long maxWriteOrder) {
        written.accumulateAndGet(maxWriteOrder, Math::max);
    }

    /**
     * The stored form of a value read from a snapshot: with its write order and its expiry, converted from the
     * snapshot's wall-clock time to this process' ticker.
     *
     * @param ascii the value's bytes, one a character
     * @param expiresAtEpochMillis when it expires; 0 for never (an entry already expired is the caller's to skip)
     */
    byte[] restoredValue(byte[] ascii, long expiresAtEpochMillis, long writeOrder) {
        long expiresAt = expiresAtEpochMillis == 0 ? StoredValue.NEVER
                : ticker.read() + Math.max(0, expiresAtEpochMillis - System.currentTimeMillis()) * 1_000_000;
        return StoredValue.of(ascii, writeOrder, expiresAt);
    }

    /** Restores an entry read from a snapshot, unless the key was written since the store started (newer). */
    void restore(Key key, byte[] stored) {
        main.asMap().putIfAbsent(key, stored);
    }

    /** True if the reserve holds a live entry for the key (for tests of the policy). */
    boolean inReserve(String key) {
        return reserve.get(Key.of(key), ticker.read()) != null;
    }

    /** The share of the budget the reserve has now. */
    double reserveShare() {
        return (double) reserve.horizon() / budgetBytes;
    }

    /** Runs pending maintenance now: expired entries leave, evictions settle, the weighted size is exact. */
    @Override
    public void cleanUp() {
        main.cleanUp();
        evictions.add(reserve.removeExpired(ticker.read()));
        fitReserve();
    }

    /** What Caffeine may hold: the budget less what it leaves to the reserve, and the ghosts. */
    private long mainMaximum() {
        return Math.max(0, budgetBytes - leftToReserve - tuner.bytes());
    }

    /**
     * Keeps Caffeine's maximum at the budget less the reserve's weight, so that one budget covers both and the
     * reserve takes room only as it fills (a cache that has never evicted has the whole budget for Caffeine).
     * The room left to the reserve moves in quanta of 1/64 of the budget, between half a quantum and three quanta
     * above its weight: what one put moves into the reserve stays well within the first, and Caffeine's maximum
     * changes rarely (each change restarts the adaptation of Caffeine's own admission window).
     */
    private void fitReserve() {
        long weight = reserve.weight();
        long left = leftToReserve;
        if (weight + quantum / 2 > left || weight + 3 * quantum < left) {
            synchronized (this) {
                weight = reserve.weight();
                long fitted = (weight / quantum + 2) * quantum;
                if (fitted != leftToReserve && (weight + quantum / 2 > leftToReserve || weight + 3 * quantum < leftToReserve)) {
                    leftToReserve = fitted;
                    eviction.setMaximum(mainMaximum());
                }
            }
        }
    }

    /**
     * Moves the reserve's horizon by the tuner's steps, within its bounds. The reserve may grow only while its
     * hits per byte, since the last step, are at least Caffeine's: ghosts see only the next step, and a reserve
     * that catches a few frequent keys on their way out must not starve the Caffeine that would keep them all.
     * A larger horizon takes room from Caffeine as the reserve fills; a smaller one drops buckets at once and
     * gives their room back.
     */
    private synchronized void tune(int steps) {
        long mainHitsNow = mainHits.sum();
        long reserveHitsNow = reserveHits.sum();
        double mainDensity = (double) (mainHitsNow - mainHitsAtLastStep) / Math.max(1, eviction.weightedSize().orElse(1));
        double reserveDensity = (double) (reserveHitsNow - reserveHitsAtLastStep) / Math.max(1, reserve.weight());
        mainHitsAtLastStep = mainHitsNow;
        reserveHitsAtLastStep = reserveHitsNow;
        long horizon = reserve.horizon();
        long target = Math.max(minHorizon, Math.min(maxHorizon, horizon + steps * step));
        if (target < horizon || (target > horizon && reserveDensity >= mainDensity)) {
            reserve.setHorizon(target, written.get());
            fitReserve();
        }
    }

    /** Caffeine evicted an entry (inside its eviction, for that key): to the reserve if it is recent enough. */
    private void mainEvicted(Key key, byte[] stored, RemovalCause cause) {
        if (cause != RemovalCause.SIZE) {
            evictions.increment(); // expired
            return;
        }
        int weight = weigher.weigh(key, stored);
        long evicted = mainEvicted + weight;
        mainEvicted = evicted;
        if (!reserve.rescue(key, stored, weight, written.get())) {
            if (StoredValue.wasRead(stored)) {
                tuner.mainEvicted(key, evicted);
            }
            evictions.increment();
        }
    }

    private void reserveDropped(RecencyReserve.Held held) {
        tuner.reserveDropped(held.key, StoredValue.writeMark(held.value));
        evictions.increment();
    }

    /** Each entry carries its expiry in its value's header, so a put can give each its own. */
    private static final class ExpiryInValue implements Expiry<Key, byte[]> {

        @Override
        public long expireAfterCreate(Key key, byte[] stored, long now) {
            return StoredValue.remaining(stored, now);
        }

        @Override
        public long expireAfterUpdate(Key key, byte[] stored, long now, long currentDuration) {
            return StoredValue.remaining(stored, now);
        }

        @Override
        public long expireAfterRead(Key key, byte[] stored, long now, long currentDuration) {
            return currentDuration;
        }
    }
}
