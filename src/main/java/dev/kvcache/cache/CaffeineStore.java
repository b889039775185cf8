package dev.kvcache.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Policy.CacheEntry;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.kvcache.snapshot.EntrySink;

/**
 * The local store: a Caffeine cache (W-TinyLFU, bounded by the memory the entries take, see {@link EntryWeigher})
 * with a {@link RecencyReserve} behind its eviction that keeps the newest writes Caffeine evicts, so that what
 * users just wrote stays readable. One budget covers both, and the {@link ReserveTuner}'s ghosts: Caffeine may
 * hold what the reserve and the ghosts cannot take, and the tuner moves budget between the two by the misses
 * each would have saved (docs/eviction.md).
 *
 * <p>The reserve's horizon is at least {@link #MIN_RESERVE_SHARE} of the budget: the most recent writes filling
 * that share are readable until they expire or are replaced, whatever came before. It is at most
 * {@link #MAX_RESERVE_SHARE}, so that Caffeine always keeps a frequency-aware part.
 *
 * <p>The entries' bytes are off the heap, in {@link Slabs}: Caffeine and the reserve hold only an {@link Entry}
 * each (a fingerprint and a chunk reference). Each chunk has one owner at a time (an entry in Caffeine or the
 * reserve, or a put on its way in), which alone frees it; a promotion copies; the {@link PageCleaner} moves
 * chunks to take back the room of freed ones. Readers copy a chunk and check that it was not freed meanwhile,
 * and look again if it was (docs/memory.md).
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

    private final Cache<Entry, Entry> main;
    private final Policy.Eviction<Entry, Entry> eviction;
    private final Slabs slabs;
    private final PageCleaner cleaner;
    private final RecencyReserve reserve;
    private final ReserveTuner tuner;
    private final EntryWeigher weigher;
    private final Ticker ticker;
    /** The keys' fingerprints' seed (see {@link Entry}). */
    private final long seed;
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
    private final LongAdder expirations = new LongAdder();
    /** Entries evicted early for a put that found no room in the pages (see {@link #evictColdest}). */
    private final LongAdder chunkEvictions = new LongAdder();
    /** Hits in each part, for the tuner's veto (see {@link #tune}). */
    private final LongAdder mainHits = new LongAdder();
    private final LongAdder reserveHits = new LongAdder();
    private long mainHitsAtLastStep;
    private long reserveHitsAtLastStep;

    /**
     * A store for tests and simulations: room on the heap and off it ample for the budget (so an entry weighs what
     * it takes), and fingerprints seeded alike in every run (so runs repeat).
     */
    public CaffeineStore(long budgetBytes, Ticker ticker, Executor executor, Scheduler scheduler) {
        this(MemoryBudget.unbounded(budgetBytes), ticker, executor, scheduler, 0);
    }

    /**
     * @param budget the memory budget, and the room on the heap and off it (see {@link MemoryBudget})
     * @param ticker the clock for expiry; {@link Ticker#systemTicker()} outside tests
     * @param executor where Caffeine runs its maintenance
     * @param scheduler wakes the cache when the next entry expires, so expired entries leave promptly
     * @param seed the seed of the keys' fingerprints: random, so that nobody can craft keys that collide
     */
    public CaffeineStore(MemoryBudget budget, Ticker ticker, Executor executor, Scheduler scheduler, long seed) {
        this.budgetBytes = budget.effective();
        this.ticker = ticker;
        this.seed = seed;
        this.weigher = new EntryWeigher(HeapLayout.current(), budget);
        this.slabs = new Slabs(budget.slabBytes());
        this.cleaner = new PageCleaner(slabs, this::ownerOf);
        this.minHorizon = (long) (budgetBytes * MIN_RESERVE_SHARE);
        this.maxHorizon = (long) (budgetBytes * MAX_RESERVE_SHARE);
        this.step = Math.max(1, (long) (budgetBytes * STEP_SHARE));
        this.quantum = Math.max(1, budgetBytes / QUANTA_PER_BUDGET);
        this.leftToReserve = quantum;
        this.tuner = new ReserveTuner((int) Math.min(1 << 24, budgetBytes / BUDGET_BYTES_PER_GHOST), step);
        this.reserve = new RecencyReserve(slabs, maxHorizon, Math.max(1, budgetBytes / BUCKETS_PER_BUDGET),
                minHorizon, this::reserveDropped);
        this.main = Caffeine.newBuilder()
                .maximumWeight(mainMaximum())
                .weigher((Entry key, Entry entry) -> entry.weight)
                .expireAfter(new ExpiryInChunk())
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
        byte[] packedKey = StoredEntry.packKey(key.getBytes(StandardCharsets.ISO_8859_1));
        byte[] valueAscii = value.getBytes(StandardCharsets.ISO_8859_1);
        int weight = weigher.weigh(key.length(), value.length());
        long expiresAt = ttlNanos == 0 ? StoredEntry.NEVER : ticker.read() + ttlNanos;
        byte[] image = StoredEntry.image(packedKey, key.length(), valueAscii, written.addAndGet(weight), expiresAt);
        long chunk = store(image, image.length);
        Entry fresh = new Entry(Entry.fingerprint(seed, packedKey), chunk, weight);
        Entry[] holder = { fresh };
        long[] replaced = new long[1];
        main.asMap().compute(fresh, (k, old) -> {
            if (old == null) {
                return fresh;
            }
            // The same entry object takes the new chunk: Caffeine keeps the node (and its place in the policy),
            // and a reader who read the old chunk finds it stale and reads again.
            replaced[0] = old.replace(chunk);
            old.weight = weight;
            old.read = false;
            holder[0] = old;
            return old;
        });
        if (replaced[0] != 0) {
            slabs.free(replaced[0]);
        }
        reserve.removeUnless(fresh, holder[0]); // an older write Caffeine evicted earlier must not outlive this one
        fitReserve();
    }

    /**
     * A chunk holding the first {@code length} bytes of an entry's image. When every page is in use, the cleaner
     * takes back the room of freed chunks; only when the pages hold nothing but live chunks does it evict (see
     * {@link #evictColdest}). With nothing left to evict, other threads hold the chunks (entries on their way in):
     * they are waited for.
     */
    private long store(byte[] image, int length) {
        for (int idle = 0; ; ) {
            long chunk = slabs.allocate(length);
            if (chunk != 0) {
                slabs.write(chunk, StoredEntry.KEY_LENGTH, image, length);
                return chunk;
            }
            if (!cleaner.reclaim() && !evictColdest()) {
                if (++idle > 100_000) {
                    throw new IllegalStateException("no room for " + length + " bytes in the off-heap pages");
                }
                Thread.yield();
            }
        }
    }

    /**
     * Removes Caffeine's coldest entries that are older than the guaranteed share, or else the reserve's entries
     * past it: the pages hold live chunks only (the weights ran ahead of Caffeine's eviction), so some must go.
     * Returns false if there was nothing to remove.
     */
    private boolean evictColdest() {
        long floor = written.get() - minHorizon;
        List<Entry> coldest = eviction.coldest(entries -> entries.map(CacheEntry::getValue)
                .filter(entry -> writeMark(entry) <= floor).limit(64).toList());
        boolean any = false;
        for (Entry entry : coldest) {
            long[] removed = new long[1];
            main.asMap().computeIfPresent(entry, (k, current) -> {
                if (current == entry) {
                    removed[0] = current.take();
                    return null;
                }
                return current;
            });
            if (removed[0] != 0) {
                slabs.free(removed[0]);
                evictions.increment();
                chunkEvictions.increment();
                any = true;
            }
        }
        if (!any) {
            int dropped = reserve.dropOlderThan(floor);
            chunkEvictions.add(dropped);
            any = dropped > 0;
        }
        return any;
    }

    /**
     * The entry that owns this chunk, found by the key in a copy of it: Caffeine's (looked up without counting as a
     * read) or the reserve's; null if neither holds this very chunk.
     */
    private Entry ownerOf(byte[] copy, long chunk) {
        int keyLength = StoredEntry.keyLength(copy);
        if (keyLength < 0 || keyLength > CacheProperties.MAX_LENGTH) {
            return null;
        }
        int packedLength = PackedAscii.packedLength(keyLength);
        if (StoredEntry.HEADER + packedLength > copy.length) {
            return null;
        }
        Entry lookup = Entry.lookup(Entry.fingerprint(seed, copy, StoredEntry.HEADER, packedLength));
        Entry entry = main.policy().getIfPresentQuietly(lookup);
        if (entry != null && entry.chunk == chunk) {
            return entry;
        }
        RecencyReserve.Held held = reserve.get(lookup);
        return held != null && held.entry.chunk == chunk ? held.entry : null;
    }

    @Override
    public String get(String key) {
        byte[] packedKey = StoredEntry.packKey(key.getBytes(StandardCharsets.ISO_8859_1));
        Entry lookup = Entry.lookup(Entry.fingerprint(seed, packedKey));
        long now = ticker.read();
        // A chunk freed under the reader (a put replaced the value, the entry moved on, or its chunk was moved) is
        // read again; an entry found with no chunk is on its way out.
        for (int attempt = 0; attempt < 1_000; attempt++) {
            Entry entry = main.getIfPresent(lookup);
            if (entry != null) {
                byte[] copy = slabs.copy(entry.chunk);
                if (copy == null) {
                    continue;
                }
                if (!StoredEntry.hasKey(copy, packedKey)) {
                    return null; // another key with the same fingerprint
                }
                mainHits.increment();
                if (!entry.read) { // written once: a hot entry's line is not bounced between cores on every read
                    entry.read = true;
                }
                return StoredEntry.valueText(copy);
            }
            RecencyReserve.Held held = reserve.get(lookup);
            if (held != null) {
                byte[] copy = slabs.copy(held.entry.chunk);
                if (copy == null) {
                    continue;
                }
                if (!StoredEntry.hasKey(copy, packedKey) || StoredEntry.expired(StoredEntry.expiresAt(copy), now)) {
                    return null;
                }
                reserveHits.increment();
                if (!held.promoted) {
                    promote(held, copy);
                }
                return StoredEntry.valueText(copy);
            }
            break;
        }
        int steps = tuner.missed(lookup, written.get(), mainEvicted, reserve.horizon());
        if (steps != 0) {
            tune(steps);
        }
        return null;
    }

    /**
     * Puts a copy of an entry read in the reserve back into Caffeine, whose frequency sketch counts the read: a key
     * read often earns its admission. Only while the reserve still holds this very write (inside Caffeine's atomic
     * computation for the key, which a put of the key or an eviction of it waits for): a newer write must never
     * be shadowed by an older one. The reserve keeps its own copy (see {@link RecencyReserve}).
     */
    private void promote(RecencyReserve.Held held, byte[] copy) {
        long chunk = store(copy, StoredEntry.size(copy)); // the copy holds its whole chunk: its entry's part
        Entry promoted = new Entry(held.entry.fingerprint, chunk, held.weight);
        boolean[] inserted = new boolean[1];
        synchronized (keyLock(held.entry)) {
            main.asMap().computeIfAbsent(promoted, key -> {
                inserted[0] = reserve.holds(held);
                return inserted[0] ? promoted : null;
            });
        }
        if (inserted[0]) {
            reserve.promoted(held);
            fitReserve();
        }
        else {
            slabs.free(chunk);
        }
    }

    /**
     * Removes the key from Caffeine, then from the reserve: an eviction of the key in between (which moves it to
     * the reserve inside Caffeine's computation for the key) is then undone too. A promotion could put the entry
     * back into Caffeine in between, so the two take turns on a lock of the key's.
     */
    @Override
    public boolean delete(String key) {
        byte[] packedKey = StoredEntry.packKey(key.getBytes(StandardCharsets.ISO_8859_1));
        Entry lookup = Entry.lookup(Entry.fingerprint(seed, packedKey));
        long[] removed = new long[1];
        synchronized (keyLock(lookup)) {
            // An expired entry is removed as expired (and freed by the listener) before this function would run.
            main.asMap().computeIfPresent(lookup, (k, entry) -> {
                if (!StoredEntry.hasKey(copyOf(entry), packedKey)) {
                    return entry; // another key with the same fingerprint
                }
                removed[0] = entry.take();
                return null;
            });
            if (removed[0] != 0) {
                slabs.free(removed[0]);
            }
            return reserve.remove(lookup, packedKey, ticker.read()) || removed[0] != 0;
        }
    }

    private Object keyLock(Entry key) {
        return keyLocks[key.hashCode() & (keyLocks.length - 1)];
    }

    @Override
    public long size() {
        return main.estimatedSize() + reserve.size();
    }

    /**
     * Memory of the entries held, in Caffeine and in the reserve, and of the tuner's ghosts, as weighed (on the heap
     * and off it; see {@link EntryWeigher}).
     */
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

    @Override
    public long expirationCount() {
        return expirations.sum();
    }

    /** Entries evicted early because a put found no room in the pages, the freed room all taken back. */
    long chunkEvictionCount() {
        return chunkEvictions.sum();
    }

    /** Bytes of the slabs' chunks in use, and of the pages they have taken from the system. */
    long slabUsedBytes() {
        return slabs.usedBytes();
    }

    long slabCommittedBytes() {
        return slabs.committedBytes();
    }

    /** Chunks moved to take back the room of freed ones (see {@link PageCleaner}). */
    long movedChunkCount() {
        return cleaner.movedCount();
    }

    /**
     * Hands every live entry to the sink, for a snapshot, while the store goes on serving: Caffeine's and the
     * reserve's maps are walked as they are (weakly consistent: an entry written meanwhile may or may not be in),
     * nothing is copied first. Each entry's chunk is copied and checked, so none is ever written torn; one freed
     * meanwhile is read again if its entry took a new chunk, else left out (it was replaced or removed).
     */
    void writeEntriesTo(EntrySink sink) throws IOException {
        long nowNanos = ticker.read();
        long nowMillis = System.currentTimeMillis();
        try { // forEach walks Caffeine's map without an entry object per entry
            main.asMap().forEach((key, entry) -> {
                try {
                    write(sink, entry, nowNanos, nowMillis);
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
                write(sink, held.entry, nowNanos, nowMillis);
            }
        }
    }

    private void write(EntrySink sink, Entry entry, long nowNanos, long nowMillis) throws IOException {
        byte[] copy = null;
        for (int attempt = 0; attempt < 8 && copy == null; attempt++) {
            copy = slabs.copy(entry.chunk);
        }
        if (copy == null || StoredEntry.expired(StoredEntry.expiresAt(copy), nowNanos)) {
            return;
        }
        long remaining = StoredEntry.remaining(StoredEntry.expiresAt(copy), nowNanos);
        // Rounded down to the millisecond: restored, an entry expires a little early rather than late.
        long expiresAt = remaining == Long.MAX_VALUE ? 0 : nowMillis + remaining / 1_000_000;
        // A snapshot holds one byte a character, whatever the store packs (see docs/warm-restart.md).
        sink.add(StoredEntry.keyAscii(copy), StoredEntry.valueAscii(copy), expiresAt, StoredEntry.writeMark(copy));
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
     * Restores an entry read from a snapshot, unless the key was written since the store started (newer), with its
     * write order and its expiry, converted from the snapshot's wall-clock time to this process' ticker.
     *
     * @param keyAscii the key's bytes, one a character
     * @param valueAscii the value's bytes, one a character
     * @param expiresAtEpochMillis when it expires; 0 for never (an entry already expired is the caller's to skip)
     */
    void restore(byte[] keyAscii, byte[] valueAscii, long expiresAtEpochMillis, long writeOrder) {
        long expiresAt = expiresAtEpochMillis == 0 ? StoredEntry.NEVER
                : ticker.read() + Math.max(0, expiresAtEpochMillis - System.currentTimeMillis()) * 1_000_000;
        byte[] packedKey = StoredEntry.packKey(keyAscii);
        byte[] image = StoredEntry.image(packedKey, keyAscii.length, valueAscii, writeOrder, expiresAt);
        long chunk = store(image, image.length);
        Entry restored = new Entry(Entry.fingerprint(seed, packedKey), chunk,
                weigher.weigh(keyAscii.length, valueAscii.length));
        if (main.asMap().putIfAbsent(restored, restored) != null) {
            slabs.free(chunk);
        }
    }

    /** True if the reserve holds a live entry for the key (for tests of the policy). */
    boolean inReserve(String key) {
        byte[] packedKey = StoredEntry.packKey(key.getBytes(StandardCharsets.ISO_8859_1));
        RecencyReserve.Held held = reserve.get(Entry.lookup(Entry.fingerprint(seed, packedKey)));
        byte[] copy = held == null ? null : copyOf(held.entry);
        return copy != null && StoredEntry.hasKey(copy, packedKey)
                && !StoredEntry.expired(StoredEntry.expiresAt(copy), ticker.read());
    }

    /** The share of the budget the reserve has now. */
    double reserveShare() {
        return (double) reserve.horizon() / budgetBytes;
    }

    /** Runs pending maintenance now: expired entries leave, evictions settle, the weighted size is exact. */
    @Override
    public void cleanUp() {
        main.cleanUp();
        int expired = reserve.removeExpired(ticker.read());
        evictions.add(expired);
        expirations.add(expired);
        fitReserve();
    }

    /** The entry's write mark, or {@link Long#MAX_VALUE} (the newest) if its chunk was taken out. */
    private long writeMark(Entry entry) {
        return longOf(entry, StoredEntry.WRITE_MARK);
    }

    /**
     * A long of an entry's chunk, read again if the chunk was moved meanwhile (the copy holds the same);
     * {@link Long#MAX_VALUE} if the chunk was taken out, which under the key's lock cannot happen.
     */
    private long longOf(Entry entry, int at) {
        while (true) {
            long chunk = entry.chunk;
            if (chunk == 0) {
                return Long.MAX_VALUE;
            }
            long value = slabs.longAt(chunk, at);
            if (slabs.isCurrent(chunk)) {
                return value;
            }
        }
    }

    /** A copy of an entry's chunk, made again if it was moved meanwhile; null if the chunk was taken out. */
    private byte[] copyOf(Entry entry) {
        while (true) {
            long chunk = entry.chunk;
            if (chunk == 0) {
                return null;
            }
            byte[] copy = slabs.copy(chunk);
            if (copy != null) {
                return copy;
            }
        }
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

    /**
     * Caffeine evicted an entry (inside its eviction, for that key): to the reserve if it is recent enough, with its
     * chunk; else the chunk is freed.
     */
    private void mainEvicted(Entry key, Entry entry, RemovalCause cause) {
        if (cause != RemovalCause.SIZE) {
            slabs.free(entry.take());
            evictions.increment();
            expirations.increment();
            return;
        }
        int weight = entry.weight;
        long evicted = mainEvicted + weight;
        mainEvicted = evicted;
        if (!reserve.rescue(entry, weight, writeMark(entry), written.get())) {
            slabs.free(entry.take());
            if (entry.read) {
                tuner.mainEvicted(entry, evicted);
            }
            evictions.increment();
        }
    }

    private void reserveDropped(RecencyReserve.Held held) {
        tuner.reserveDropped(held.entry, held.writeMark);
        evictions.increment();
    }

    /**
     * Each entry carries its expiry in its chunk's header, so a put can give each its own. Caffeine asks inside
     * its computation for the key, while the chunk is the entry's.
     */
    private final class ExpiryInChunk implements Expiry<Entry, Entry> {

        @Override
        public long expireAfterCreate(Entry key, Entry entry, long now) {
            return StoredEntry.remaining(longOf(entry, StoredEntry.EXPIRES_AT), now);
        }

        @Override
        public long expireAfterUpdate(Entry key, Entry entry, long now, long currentDuration) {
            return expireAfterCreate(key, entry, now);
        }

        @Override
        public long expireAfterRead(Entry key, Entry entry, long now, long currentDuration) {
            return currentDuration;
        }
    }
}
