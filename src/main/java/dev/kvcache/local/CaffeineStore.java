package dev.kvcache.local;

import dev.kvcache.local.segment.PackedAscii;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.Policy.CacheEntry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.kvcache.cache.CacheProperties;
import dev.kvcache.cache.EntryStore;
import dev.kvcache.cache.MemoryBudget;
import dev.kvcache.snapshot.EntrySink;

/**
 * The local store: a Caffeine cache (W-TinyLFU, bounded by the memory the entries take, see {@link EntryWeigher})
 * with a {@link RecencyReserve} behind its eviction that keeps the newest writes Caffeine evicts, so that what
 * users just wrote stays readable. One budget covers both; the {@link ReserveClimber} decides how it is split, and
 * this class applies its decisions (docs/eviction.md).
 *
 * <p>The entries' bytes are off the heap, in {@link Slabs}: Caffeine and the reserve hold only an
 * {@link IndexEntry} each (a fingerprint and a chunk reference). Each chunk has one owner at a time, which alone
 * frees it: an entry in Caffeine or the reserve, or a put on its way in ({@link IndexEntry#take},
 * {@link IndexEntry#replace}); a promotion copies; the {@link PageCleaner} moves chunks to take back the room of
 * freed ones ({@link IndexEntry#move}). Readers copy a chunk and check that it was not freed meanwhile, and look
 * again if it was (docs/memory.md).
 */
public final class CaffeineStore implements EntryStore, RestorableStore {

    /** Buckets of the reserve per budget: the granularity of its dropping. */
    static final int BUCKETS_PER_BUDGET = 256;

    private final Cache<IndexEntry, IndexEntry> caffeine;
    private final Policy.Eviction<IndexEntry, IndexEntry> eviction;
    private final Slabs slabs;
    private final PageCleaner cleaner;
    private final RecencyReserve reserve;
    private final ReserveClimber climber;
    private final EntryWeigher weigher;
    private final Ticker ticker;
    /** The keys' fingerprints' seed (see {@link IndexEntry}). */
    private final long seed;
    /** A delete and a promotion of the same key take turns (see {@link #delete}). */
    private final Object[] keyLocks = new Object[64];
    private final long budgetBytes;
    /** Bytes of entries written so far: the write mark of the newest entry. */
    private final AtomicLong written = new AtomicLong();
    /** Bytes Caffeine has evicted so far; changed only inside Caffeine's eviction, under its lock. */
    private volatile long caffeineEvictedBytes;
    private final LongAdder evictions = new LongAdder();
    private final LongAdder expirations = new LongAdder();
    /** Entries evicted early for a put that found no room in the pages (see {@link #evictForRoom}). */
    private final LongAdder roomEvictions = new LongAdder();

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
        this.slabs = new Slabs(Slabs.maxBytesFor(budget.chunkRoom()), Slabs.slackFor(budget.chunkRoom()));
        this.cleaner = new PageCleaner(slabs, this::ownerOf);
        this.climber = new ReserveClimber(budgetBytes);
        this.reserve = new RecencyReserve(slabs, climber.maxHorizon(), Math.max(1, budgetBytes / BUCKETS_PER_BUDGET),
                climber.minHorizon(), this::onReserveDrop);
        this.caffeine = Caffeine.newBuilder()
                .maximumWeight(climber.mainMaximum())
                .weigher((IndexEntry key, IndexEntry entry) -> entry.weight)
                .expireAfter(new ExpiryInChunk())
                .evictionListener(this::onCaffeineEviction)
                .ticker(ticker)
                .executor(executor)
                .scheduler(scheduler)
                .build();
        this.eviction = caffeine.policy().eviction().orElseThrow();
        for (int i = 0; i < keyLocks.length; i++) {
            keyLocks[i] = new Object();
        }
    }

    // The EntryStore face ------------------------------------------------------------------------------------

    @Override
    public void put(String key, String value, long ttlNanos) {
        byte[] packedKey = ChunkLayout.packKey(key.getBytes(StandardCharsets.ISO_8859_1));
        byte[] valueAscii = value.getBytes(StandardCharsets.ISO_8859_1);
        int weight = weigher.weigh(key.length(), value.length());
        long expiresAt = ttlNanos == 0 ? ChunkLayout.NEVER : ticker.read() + ttlNanos;
        byte[] image = ChunkLayout.image(packedKey, key.length(), valueAscii, written.addAndGet(weight), expiresAt);
        long chunk = allocate(image, image.length);
        IndexEntry fresh = new IndexEntry(IndexEntry.fingerprint(seed, packedKey), chunk, weight);
        IndexEntry[] holder = { fresh };
        long[] replaced = new long[1];
        caffeine.asMap().compute(fresh, (k, old) -> {
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

    @Override
    public String get(String key) {
        byte[] packedKey = ChunkLayout.packKey(key.getBytes(StandardCharsets.ISO_8859_1));
        IndexEntry lookup = IndexEntry.lookup(IndexEntry.fingerprint(seed, packedKey));
        long now = ticker.read();
        // A chunk freed under the reader (a put replaced the value, the entry moved on, or its chunk was moved) is
        // read again; an entry found with no chunk is on its way out.
        for (int attempt = 0; attempt < 1_000; attempt++) {
            IndexEntry entry = caffeine.getIfPresent(lookup);
            if (entry != null) {
                byte[] copy = slabs.copy(entry.chunk);
                if (copy == null) {
                    continue;
                }
                if (!ChunkLayout.hasKey(copy, packedKey)) {
                    return null; // another key with the same fingerprint
                }
                climber.mainHit();
                if (!entry.read) { // written once: a hot entry's line is not bounced between cores on every read
                    entry.read = true;
                }
                return ChunkLayout.valueText(copy);
            }
            RecencyReserve.Held held = reserve.get(lookup);
            if (held != null) {
                byte[] copy = slabs.copy(held.entry.chunk);
                if (copy == null) {
                    continue;
                }
                if (!ChunkLayout.hasKey(copy, packedKey) || ChunkLayout.expired(ChunkLayout.expiresAt(copy), now)) {
                    return null;
                }
                climber.reserveHit();
                if (!held.promoted) {
                    promote(held, copy);
                }
                return ChunkLayout.valueText(copy);
            }
            break;
        }
        long writtenNow = written.get();
        climber.missed(lookup, writtenNow, caffeineEvictedBytes, reserve.horizon(),
                eviction.weightedSize().orElse(0), reserve.weight(), horizon -> {
                    reserve.setHorizon(horizon, writtenNow);
                    fitReserve();
                });
        return null;
    }

    /**
     * Removes the key from Caffeine, then from the reserve: an eviction of the key in between (which moves it to
     * the reserve inside Caffeine's computation for the key) is then undone too. A promotion could put the entry
     * back into Caffeine in between, so the two take turns on a lock of the key's.
     */
    @Override
    public boolean delete(String key) {
        byte[] packedKey = ChunkLayout.packKey(key.getBytes(StandardCharsets.ISO_8859_1));
        IndexEntry lookup = IndexEntry.lookup(IndexEntry.fingerprint(seed, packedKey));
        long[] removed = new long[1];
        synchronized (keyLock(lookup)) {
            // An expired entry is removed as expired (and freed by the listener) before this function would run.
            caffeine.asMap().computeIfPresent(lookup, (k, entry) -> {
                if (!ChunkLayout.hasKey(copyOf(entry), packedKey)) {
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

    @Override
    public long size() {
        return caffeine.estimatedSize() + reserve.size();
    }

    /**
     * Memory of the entries held, in Caffeine and in the reserve, and of the climber's ghosts, as weighed (on the
     * heap and off it; see {@link EntryWeigher}).
     */
    @Override
    public long usedBytes() {
        return eviction.weightedSize().orElse(0) + reserve.weight() + climber.ghostBytes();
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

    /** Runs pending maintenance now: expired entries leave, evictions settle, the weighted size is exact. */
    @Override
    public void cleanUp() {
        caffeine.cleanUp();
        int expired = reserve.removeExpired(ticker.read());
        evictions.add(expired);
        expirations.add(expired);
        fitReserve();
    }

    // Off-heap chunks: allocation, room, owners -----------------------------------------------------------

    /**
     * A chunk holding the first {@code length} bytes of an entry's image, the caller's until it hands it to an
     * entry. When every page is in use, the cleaner takes back the room of freed chunks; only when the pages hold
     * nothing but live chunks does it evict (see {@link #evictForRoom}). With nothing left to evict, other threads
     * hold the chunks (entries on their way in): they are waited for.
     */
    private long allocate(byte[] image, int length) {
        for (int idle = 0; ; ) {
            long chunk = slabs.allocate(length);
            if (chunk != 0) {
                slabs.write(chunk, ChunkLayout.KEY_LENGTH, image, length);
                return chunk;
            }
            if (!cleaner.reclaim() && !evictForRoom()) {
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
    private boolean evictForRoom() {
        long floor = written.get() - climber.minHorizon();
        List<IndexEntry> coldest = eviction.coldest(entries -> entries.map(CacheEntry::getValue)
                .filter(entry -> writeMark(entry) <= floor).limit(64).toList());
        boolean any = false;
        for (IndexEntry entry : coldest) {
            long[] removed = new long[1];
            caffeine.asMap().computeIfPresent(entry, (k, current) -> {
                if (current == entry) {
                    removed[0] = current.take();
                    return null;
                }
                return current;
            });
            if (removed[0] != 0) {
                slabs.free(removed[0]);
                evictions.increment();
                roomEvictions.increment();
                any = true;
            }
        }
        if (!any) {
            int dropped = reserve.dropOlderThan(floor);
            roomEvictions.add(dropped);
            any = dropped > 0;
        }
        return any;
    }

    /**
     * The entry that owns this chunk, found by the key in a copy of it: Caffeine's (looked up without counting as a
     * read) or the reserve's; null if neither holds this very chunk.
     */
    private IndexEntry ownerOf(byte[] copy, long chunk) {
        int keyLength = ChunkLayout.keyLength(copy);
        if (keyLength < 0 || keyLength > CacheProperties.MAX_LENGTH) {
            return null;
        }
        int packedLength = PackedAscii.packedLength(keyLength);
        if (ChunkLayout.HEADER + packedLength > copy.length) {
            return null;
        }
        IndexEntry lookup = IndexEntry.lookup(IndexEntry.fingerprint(seed, copy, ChunkLayout.HEADER, packedLength));
        IndexEntry entry = caffeine.policy().getIfPresentQuietly(lookup);
        if (entry != null && entry.chunk == chunk) {
            return entry;
        }
        RecencyReserve.Held held = reserve.get(lookup);
        return held != null && held.entry.chunk == chunk ? held.entry : null;
    }

    /** The entry's write mark, or {@link Long#MAX_VALUE} (the newest) if its chunk was taken out. */
    private long writeMark(IndexEntry entry) {
        return longOf(entry, ChunkLayout.WRITE_MARK);
    }

    /**
     * A long of an entry's chunk, read again if the chunk was moved meanwhile (the copy holds the same);
     * {@link Long#MAX_VALUE} if the chunk was taken out, which under the key's lock cannot happen.
     */
    private long longOf(IndexEntry entry, int at) {
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
    private byte[] copyOf(IndexEntry entry) {
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

    private Object keyLock(IndexEntry key) {
        return keyLocks[key.hashCode() & (keyLocks.length - 1)];
    }

    // Caffeine and the reserve ---------------------------------------------------------------------------------

    /**
     * Puts a copy of an entry read in the reserve back into Caffeine, whose frequency sketch counts the read: a key
     * read often earns its admission. Only while the reserve still holds this very write (inside Caffeine's atomic
     * computation for the key, which a put of the key or an eviction of it waits for): a newer write must never
     * be shadowed by an older one. The reserve keeps its own copy (see {@link RecencyReserve}).
     */
    private void promote(RecencyReserve.Held held, byte[] copy) {
        long chunk = allocate(copy, ChunkLayout.size(copy)); // the copy holds its whole chunk: its entry's part
        IndexEntry promoted = new IndexEntry(held.entry.fingerprint, chunk, held.weight);
        boolean[] inserted = new boolean[1];
        synchronized (keyLock(held.entry)) {
            caffeine.asMap().computeIfAbsent(promoted, key -> {
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

    /** Caffeine's maximum follows the reserve's weight, as the climber says. */
    private void fitReserve() {
        climber.fit(reserve.weight(), eviction::setMaximum);
    }

    /**
     * Caffeine evicted an entry (inside its eviction, for that key): to the reserve if it is recent enough, with its
     * chunk; else the chunk is taken out and freed.
     */
    private void onCaffeineEviction(IndexEntry key, IndexEntry entry, RemovalCause cause) {
        if (cause != RemovalCause.SIZE) {
            slabs.free(entry.take());
            evictions.increment();
            expirations.increment();
            return;
        }
        int weight = entry.weight;
        long evicted = caffeineEvictedBytes + weight;
        caffeineEvictedBytes = evicted;
        if (!reserve.rescue(entry, weight, writeMark(entry), written.get())) {
            slabs.free(entry.take());
            if (entry.read) {
                climber.mainEvicted(entry, evicted);
            }
            evictions.increment();
        }
    }

    private void onReserveDrop(RecencyReserve.Held held) {
        climber.reserveDropped(held.entry, held.writeMark);
        evictions.increment();
    }

    /**
     * Each entry carries its expiry in its chunk's header, so a put can give each its own. Caffeine asks inside
     * its computation for the key, while the chunk is the entry's.
     */
    private final class ExpiryInChunk implements Expiry<IndexEntry, IndexEntry> {

        @Override
        public long expireAfterCreate(IndexEntry key, IndexEntry entry, long now) {
            return ChunkLayout.remaining(longOf(entry, ChunkLayout.EXPIRES_AT), now);
        }

        @Override
        public long expireAfterUpdate(IndexEntry key, IndexEntry entry, long now, long currentDuration) {
            return expireAfterCreate(key, entry, now);
        }

        @Override
        public long expireAfterRead(IndexEntry key, IndexEntry entry, long now, long currentDuration) {
            return currentDuration;
        }
    }

    // Snapshots: export and import (see WarmRestart) ----------------------------------------------------------

    /**
     * Hands every live entry to the sink, for a snapshot, while the store goes on serving: Caffeine's and the
     * reserve's maps are walked as they are (weakly consistent: an entry written meanwhile may or may not be in),
     * nothing is copied first. Each entry's chunk is copied and checked, so none is ever written torn; one freed
     * meanwhile is read again if its entry took a new chunk, else left out (it was replaced or removed).
     */
    @Override
    public void writeEntriesTo(EntrySink sink) throws IOException {
        long nowNanos = ticker.read();
        long nowMillis = System.currentTimeMillis();
        try { // forEach walks Caffeine's map without an entry object per entry
            caffeine.asMap().forEach((key, entry) -> {
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

    private void write(EntrySink sink, IndexEntry entry, long nowNanos, long nowMillis) throws IOException {
        byte[] copy = null;
        for (int attempt = 0; attempt < 8 && copy == null; attempt++) {
            copy = slabs.copy(entry.chunk);
        }
        if (copy == null || ChunkLayout.expired(ChunkLayout.expiresAt(copy), nowNanos)) {
            return;
        }
        long remaining = ChunkLayout.remaining(ChunkLayout.expiresAt(copy), nowNanos);
        // Rounded down to the millisecond: restored, an entry expires a little early rather than late.
        long expiresAt = remaining == Long.MAX_VALUE ? 0 : nowMillis + remaining / 1_000_000;
        // A snapshot holds one byte a character, whatever the store packs (see docs/warm-restart.md).
        sink.add(ChunkLayout.keyAscii(copy), ChunkLayout.valueAscii(copy), expiresAt, ChunkLayout.writeMark(copy));
    }

    /** The weight of an entry of these lengths, as the store counts it. */
    @Override
    public int weigh(int keyLength, int valueLength) {
        return weigher.weigh(keyLength, valueLength);
    }

    /** What the store can take in without evicting anything, for restoring a snapshot into an empty store. */
    @Override
    public long restorableBytes() {
        return climber.mainMaximum();
    }

    /**
     * Prepares for restoring entries written up to {@code maxWriteMark}: the writes from now on come after them,
     * so the entries keep their order (what the recency reserve protects after a restart).
     */
    @Override
    public void beforeRestoring(long maxWriteMark) {
        written.accumulateAndGet(maxWriteMark, Math::max);
    }

    /**
     * Restores an entry read from a snapshot, unless the key was written since the store started (newer), with its
     * write mark and its expiry, converted from the snapshot's wall-clock time to this process' ticker.
     *
     * @param keyAscii the key's bytes, one a character
     * @param valueAscii the value's bytes, one a character
     * @param expiresAtEpochMillis when it expires; 0 for never (an entry already expired is the caller's to skip)
     */
    @Override
    public void restore(byte[] keyAscii, byte[] valueAscii, long expiresAtEpochMillis, long writeMark) {
        long expiresAt = expiresAtEpochMillis == 0 ? ChunkLayout.NEVER
                : ticker.read() + Math.max(0, expiresAtEpochMillis - System.currentTimeMillis()) * 1_000_000;
        byte[] packedKey = ChunkLayout.packKey(keyAscii);
        byte[] image = ChunkLayout.image(packedKey, keyAscii.length, valueAscii, writeMark, expiresAt);
        long chunk = allocate(image, image.length);
        IndexEntry restored = new IndexEntry(IndexEntry.fingerprint(seed, packedKey), chunk,
                weigher.weigh(keyAscii.length, valueAscii.length));
        if (caffeine.asMap().putIfAbsent(restored, restored) != null) {
            slabs.free(chunk);
        }
    }

    // Meters and tests ---------------------------------------------------------------------------------------

    /** Entries evicted early because a put found no room in the pages, the freed room all taken back. */
    long roomEvictionCount() {
        return roomEvictions.sum();
    }

    /** Bytes of the slabs' chunks in use. */
    long slabUsedBytes() {
        return slabs.usedBytes();
    }

    /** Bytes of the pages the slabs have taken from the system. */
    long slabCommittedBytes() {
        return slabs.committedBytes();
    }

    /** Chunks moved to take back the room of freed ones (see {@link PageCleaner}). */
    long movedChunkCount() {
        return cleaner.movedCount();
    }

    /** True if the reserve holds a live entry for the key. */
    boolean inReserve(String key) {
        byte[] packedKey = ChunkLayout.packKey(key.getBytes(StandardCharsets.ISO_8859_1));
        RecencyReserve.Held held = reserve.get(IndexEntry.lookup(IndexEntry.fingerprint(seed, packedKey)));
        byte[] copy = held == null ? null : copyOf(held.entry);
        return copy != null && ChunkLayout.hasKey(copy, packedKey)
                && !ChunkLayout.expired(ChunkLayout.expiresAt(copy), ticker.read());
    }

    /** The share of the budget the reserve has now. */
    double reserveShare() {
        return (double) reserve.horizon() / budgetBytes;
    }
}
