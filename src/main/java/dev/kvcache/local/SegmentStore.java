package dev.kvcache.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import com.google.errorprone.annotations.concurrent.GuardedBy;

import dev.kvcache.cache.EntryStore;
import dev.kvcache.cache.MemoryBudget;
import dev.kvcache.local.index.KeyHash;
import dev.kvcache.local.index.KeyIndex;
import dev.kvcache.local.index.Slot;
import dev.kvcache.local.policy.SegmentPolicy;
import dev.kvcache.local.policy.SegmentPolicy.Reason;
import dev.kvcache.local.policy.SegmentPolicy.Victim;
import dev.kvcache.local.policy.YoungClimber;
import dev.kvcache.local.segment.EntryLayout;
import dev.kvcache.local.segment.OpenSegments;
import dev.kvcache.local.segment.PackedAscii;
import dev.kvcache.local.segment.Segment;
import dev.kvcache.local.segment.SegmentPool;
import dev.kvcache.snapshot.SegmentSink;
import dev.kvcache.snapshot.SnapshotSegment;

/**
 * The local store, with no Java object per entry: entries are appended to segments of off-heap memory (a log), a
 * {@link KeyIndex} off the heap finds them, and Caffeine decides which segments leave, by weight and by age
 * ({@link SegmentPolicy}). The heap holds one object per segment, whatever the number of entries, so a full cache's
 * collections have nothing of it to scan (docs/memory.md).
 *
 * <p>A put appends the entry to the open young segment of its TTL class and files it in the index (replacing the
 * key's older entry there, which its segment keeps as dead bytes). A get finds the slot, copies the entry and
 * checks that neither changed meanwhile. A segment leaves whole: it is <em>drained</em> (each of its entries that
 * the index still names is moved on to a main segment, or dropped, as the policy says) and then reused. Draining
 * happens when a put needs a segment and none is free, one drain at a time, by the thread that needs the room.
 *
 * <p>Locks, in the order they may be taken: a young open segment's lock (held while a fresh segment is taken, and
 * room made for it); {@link #drainLock}; then a main open segment's lock, an index chain's lock or Caffeine's, none
 * of which is held while another is taken. A drain's copies come from segments kept free for them
 * ({@link #COPY_RESERVE}): a drain never waits for room.
 */
public final class SegmentStore implements EntryStore {

    /** Segments a budget is cut into (at least): the granularity of eviction. */
    static final int SEGMENTS_PER_BUDGET = 1024;
    /** The smallest segment, and the least number of the largest entries one holds. */
    static final int MIN_SEGMENT_SIZE = 4096;
    static final int MIN_ENTRIES_PER_SEGMENT = 4;
    /** The fewest segments a store works with. */
    static final int MIN_SEGMENTS = 24;
    /** The primary buckets of the index take this share of the budget (1/40: a slot for every 320 bytes). */
    static final int BUDGET_PER_INDEX_BYTE = 40;
    /** One ghost (4 bytes) per this many bytes of budget: 1.6% of it. */
    static final int BUDGET_BYTES_PER_GHOST = 256;
    /** Free segments kept for the copies a drain makes, which must never wait for room. */
    static final int COPY_RESERVE = 2;
    /** Drains of one put's need for room that may move entries on (see {@link #makeRoom}). */
    static final int MOVING_DRAINS = 4;
    /** After an open segment's last entry expires, the scheduler wakes the store this much later. */
    static final long WAKE_UP_SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Segments main leaves free beside the young share, the open segments and the index: for drains under way. */
    static final int SPARE_SEGMENTS = 2;
    /** About what an entry takes of the index: an 8-byte slot in buckets of 7 slots and a link, 70% full. */
    static final int INDEX_BYTES_PER_ENTRY = 12;

    private final long seed;
    private final Ticker ticker;
    private final long budgetBytes;
    private final SegmentPool pool;
    private final KeyIndex index;
    private final OpenSegments open;
    private final SegmentPolicy policy;
    private final YoungClimber climber;
    /** Bytes of entries put so far: the newest write mark. */
    private final AtomicLong written = new AtomicLong();
    /** Bytes of entries dropped from main segments so far: the clock of main's ghosts. */
    private final AtomicLong mainDropped = new AtomicLong();
    private final AtomicLong sequence = new AtomicLong();
    private final ReentrantLock drainLock = new ReentrantLock();
    private final Scheduler scheduler;
    private final Executor executor;
    /** When the next wake-up for open segments whose entries all expired is due (a {@code Ticker} time). */
    private final AtomicLong wakeAt = new AtomicLong(Long.MAX_VALUE);
    @GuardedBy("drainLock")
    private byte[] scratch = new byte[256];

    private final LongAdder liveBytes = new LongAdder();
    private final LongAdder evictions = new LongAdder();
    private final LongAdder expirations = new LongAdder();
    private final LongAdder moves = new LongAdder();
    private final LongAdder forced = new LongAdder();
    /** Entries dropped, and segments drained, by reason (written under the drain lock, read racily). */
    private final long[] dropsByReason = new long[Reason.values().length];
    private final long[] drainsByReason = new long[Reason.values().length];

    /**
     * A store for tests and simulations: the default lengths, maintenance on the calling thread, no scheduler, and
     * keys hashed alike in every run (so runs repeat).
     */
    public SegmentStore(long budgetBytes, Ticker ticker) {
        this(MemoryBudget.unbounded(budgetBytes), 256, 256, ticker, Runnable::run, Scheduler.disabledScheduler(), 0);
    }

    /**
     * @param budget the memory budget: segments, index and ghosts together take at most {@code budget.effective()}
     * @param maxKeyLength the longest key, in characters, and {@code maxValueLength} the longest value: a segment
     *     holds at least a few of the largest entries
     * @param ticker the clock for expiry; {@link Ticker#systemTicker()} outside tests
     * @param executor where Caffeine runs its maintenance
     * @param scheduler wakes the cache when the next segment expires, so that expired entries leave promptly
     * @param seed the seed of the keys' hashes: random, so that nobody can craft keys that collide
     */
    public SegmentStore(MemoryBudget budget, int maxKeyLength, int maxValueLength, Ticker ticker, Executor executor,
            Scheduler scheduler, long seed) {
        this.budgetBytes = budget.effective();
        this.ticker = ticker;
        this.seed = seed;
        this.climber = new YoungClimber(budgetBytes, budgetBytes / BUDGET_BYTES_PER_GHOST);
        long primaryBytes = Math.max(16 * KeyIndex.BUCKET_BYTES, budgetBytes / BUDGET_PER_INDEX_BYTE);
        long room = budgetBytes - primaryBytes - climber.ghostBytes();
        int largest = EntryLayout.sizeOf(maxKeyLength, maxValueLength);
        int smallest = Math.max(MIN_SEGMENT_SIZE, align(MIN_ENTRIES_PER_SEGMENT * largest, KeyIndex.BUCKET_BYTES));
        int segmentSize = (int) Math.min(Slot.MAX_SEGMENT_SIZE,
                Math.max(smallest, room / SEGMENTS_PER_BUDGET & -KeyIndex.BUCKET_BYTES));
        long count = room / segmentSize;
        if (count < MIN_SEGMENTS || count > Slot.MAX_SEGMENTS) {
            throw new IllegalArgumentException(String.format("a budget of %d bytes makes %d segments of %d bytes "
                    + "(each must hold %d entries of %d + %d characters): between %d and %d are needed", budgetBytes,
                    count, segmentSize, MIN_ENTRIES_PER_SEGMENT, maxKeyLength, maxValueLength, MIN_SEGMENTS,
                    Slot.MAX_SEGMENTS));
        }
        this.pool = new SegmentPool(segmentSize, (int) count);
        this.index = new KeyIndex(primaryBytes, segmentSize, this::takeIndexPage);
        this.scheduler = scheduler;
        this.executor = executor;
        this.policy = new SegmentPolicy(segmentSize, mainMaximum(), ticker, task -> {
            executor.execute(task);
            drainQueuedIfIdle();
        }, scheduler);
        this.open = new OpenSegments(pool, this::take, policy::sealed, sequence);
    }

    // The EntryStore face ------------------------------------------------------------------------------------

    @Override
    public void put(String key, String value, long ttlNanos) {
        byte[] packedKey = EntryLayout.packKey(key);
        byte[] packedValue = EntryLayout.pack(value.getBytes(StandardCharsets.ISO_8859_1));
        long expiresAt = ttlNanos == 0 ? EntryLayout.NEVER : ticker.read() + ttlNanos;
        append(packedKey, packedValue, expiresAt, OpenSegments.ttlClass(ttlNanos), true);
        if (expiresAt < wakeAt.get()) {
            wakeUpAt(expiresAt);
        }
    }

    /**
     * Appends an entry to the young segment of its class and files it in the index, replacing the key's entry there,
     * or (not {@code replace}) only if the key has none.
     */
    private void append(byte[] packedKey, byte[] packedValue, long expiresAt, int ttlClass, boolean replace) {
        int size = EntryLayout.size(packedKey.length, packedValue.length);
        long hash = KeyHash.of(seed, packedKey);
        long mark = written.addAndGet(size);
        int frequency = 0; // reads only: a key wanted again after it left is known by its ghost (drainEntry)
        climber.returning(hash);
        long at = open.append(Segment.Kind.YOUNG, ttlClass, size, false);
        Segment segment = pool.get((int) (at >>> 32));
        int offset = (int) at;
        try {
            EntryLayout.write(segment.buffer(), offset, packedKey, packedValue, expiresAt);
            segment.raiseExpiry(expiresAt);
            segment.raiseMark(mark);
            Match match = new Match();
            long word = Slot.word(hash, Slot.place(segment.id, offset), frequency);
            long replaced = replace ? index.put(hash, packedKey, word, match)
                    : index.putIfAbsent(hash, packedKey, word, match);
            if (!replace && replaced != 0) {
                return; // the key's entry stays; this one is dead bytes
            }
            segment.addLive(size);
            liveBytes.add(size);
            if (replaced != 0) {
                pool.get(Slot.segment(replaced)).addLive(-match.size);
                liveBytes.add(-match.size);
            }
        }
        finally {
            segment.published();
        }
    }

    @Override
    public String get(String key) {
        byte[] packedKey = EntryLayout.packKey(key);
        long hash = KeyHash.of(seed, packedKey);
        Reader reader = new Reader(packedKey);
        while (true) {
            long word = index.find(hash, reader);
            if (word == 0) {
                break;
            }
            Segment segment = pool.get(Slot.segment(word));
            if (segment.generation() != reader.generation) {
                continue; // freed meanwhile: look again
            }
            if (EntryLayout.expired(EntryLayout.expiresAt(reader.copy), ticker.read())) {
                return null;
            }
            index.countRead(hash, word);
            if (segment.kind() == Segment.Kind.MAIN) {
                climber.mainHit();
                policy.mainRead(segment);
            }
            else {
                climber.youngHit();
            }
            return EntryLayout.valueText(reader.copy);
        }
        long writtenNow = written.get();
        climber.missed(hash, writtenNow, policy.youngSpan(writtenNow), mainDropped.get(), policy.mainBytes(),
                policy.youngBytes(), horizon -> fit());
        return null;
    }

    @Override
    public boolean delete(String key) {
        byte[] packedKey = EntryLayout.packKey(key);
        long hash = KeyHash.of(seed, packedKey);
        Match match = new Match();
        long removed = index.remove(hash, packedKey, match);
        if (removed == 0) {
            return false;
        }
        pool.get(Slot.segment(removed)).addLive(-match.size);
        liveBytes.add(-match.size);
        if (EntryLayout.expired(match.expiresAt, ticker.read())) {
            evictions.increment();
            expirations.increment();
            return false;
        }
        return true;
    }

    @Override
    public long size() {
        return index.size();
    }

    /**
     * Memory the store takes: its segments in use (entries, dead or alive, and the index's pages), the index's
     * primary buckets and the ghosts.
     */
    @Override
    public long usedBytes() {
        return (long) (pool.count() - pool.freeCount()) * pool.segmentSize() + index.primaryBytes()
                + climber.ghostBytes();
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

    /** Runs pending maintenance now: expired segments leave, evictions settle. */
    @Override
    public void cleanUp() {
        policy.cleanUp();
        List<Segment> expired = new ArrayList<>(); // closed before the drain lock is taken: slots' locks come first
        open.closeExpired(ticker.read(), expired::add);
        drainLock.lock();
        try {
            expired.forEach(segment -> drain(new Victim(segment, Reason.EXPIRED), true));
            for (Victim victim; (victim = policy.nextVictim(Long.MIN_VALUE, 0)) != null; ) {
                drain(victim, true);
            }
        }
        finally {
            drainLock.unlock();
        }
        fit();
    }

    // Room: taking segments, draining them -------------------------------------------------------------------

    /**
     * A free segment for the open segments: for a drain's copies only from the reserve (null if it is empty),
     * else making room first when none is free.
     */
    private Segment take(Segment.Kind kind, boolean forCopy) {
        if (forCopy) {
            return pool.take(0);
        }
        for (int attempt = 0; ; attempt++) {
            Segment segment = pool.take(COPY_RESERVE);
            if (segment != null) {
                fit();
                return segment;
            }
            makeRoom(attempt);
        }
    }

    /** An index page: a segment the index keeps (its number of pages moves main's maximum down). */
    private ByteBuffer takeIndexPage() {
        Segment segment = take(Segment.Kind.INDEX, false);
        fit();
        return segment.buffer();
    }

    /**
     * Drains one segment: one queued by Caffeine, else the oldest young one past the horizon, else (after
     * Caffeine's maintenance ran) one forced out. The first {@link #MOVING_DRAINS} drains of a put that needs room
     * move the entries the policy keeps on to main; later ones drop them too, so that a put never waits for a long
     * run of drains that move as much as they free (young segments of entries all read once pouring into an empty
     * main, at the first fill; or main's entries, each read once, written again).
     */
    private void makeRoom(int attempt) {
        drainLock.lock();
        try {
            if (pool.freeCount() > COPY_RESERVE) {
                return; // another thread made room meanwhile
            }
            boolean moving = attempt < MOVING_DRAINS;
            Victim victim = policy.nextVictim(written.get(), climber.horizon());
            if (victim == null && policy.evictMain()) { // young holds no more than its share: main gives
                victim = policy.nextVictim(written.get(), climber.horizon());
            }
            if (victim == null) {
                policy.cleanUp();
                victim = policy.nextVictim(written.get(), climber.horizon());
            }
            if (victim == null) {
                victim = policy.forcedVictim();
            }
            if (victim != null) {
                drain(victim, moving);
                return;
            }
        }
        finally {
            drainLock.unlock();
        }
        // Every segment is open, the index's, or being sealed by another thread: wait for the seal.
        if (attempt > 1_000_000) {
            throw new IllegalStateException("no segment can be freed: all " + pool.count() + " are open or indexed");
        }
        Thread.yield();
    }

    /**
     * Has the scheduler wake the store at {@code at}: sealed segments expire in Caffeine, which the scheduler wakes
     * too, but an open one whose entries have all expired (nobody writes any more) must be closed to leave.
     */
    private void wakeUpAt(long at) {
        for (long due = wakeAt.get(); at < due; due = wakeAt.get()) {
            if (wakeAt.compareAndSet(due, at)) {
                scheduler.schedule(executor, this::wakeUp, Math.max(0, at - ticker.read()) + WAKE_UP_SLACK_NANOS,
                        TimeUnit.NANOSECONDS);
                return;
            }
        }
    }

    private void wakeUp() {
        wakeAt.set(Long.MAX_VALUE);
        cleanUp();
        long next = open.earliestExpiry();
        if (next != Long.MAX_VALUE) {
            wakeUpAt(next);
        }
    }

    /** Drains what Caffeine queued, from its scheduled maintenance, unless a drain is under way. */
    private void drainQueuedIfIdle() {
        if (!policy.hasVictims() || drainLock.isHeldByCurrentThread() || !drainLock.tryLock()) {
            return;
        }
        try {
            for (Victim victim; policy.hasVictims() && (victim = policy.nextVictim(Long.MIN_VALUE, 0)) != null; ) {
                drain(victim, true);
            }
        }
        finally {
            drainLock.unlock();
        }
    }

    /**
     * Empties a segment and frees it: each entry the index still names there is dropped, or moved on to a main
     * segment, as the reason and its read count say (see {@link SegmentPolicy}).
     */
    @GuardedBy("drainLock")
    private void drain(Victim victim, boolean moving) {
        Segment segment = victim.segment();
        if (!segment.claim(victim.sequence())) {
            return; // drained already (a young segment both expired and past the horizon)
        }
        ByteBuffer buffer = segment.buffer();
        drainsByReason[victim.reason().ordinal()]++;
        boolean young = segment.kind() == Segment.Kind.YOUNG;
        long now = ticker.read();
        for (int offset = 0, end = segment.end(); offset < end; ) {
            int keyLength = EntryLayout.keyLength(buffer, offset);
            int size = EntryLayout.sizeAt(buffer, offset);
            if (scratch.length < keyLength) {
                scratch = new byte[keyLength];
            }
            buffer.get(offset + EntryLayout.HEADER, scratch, 0, keyLength);
            long hash = KeyHash.of(seed, scratch, 0, keyLength);
            long place = Slot.place(segment.id, offset);
            long word = index.at(hash, place);
            if (word != 0) {
                drainEntry(victim.reason(), segment, young, moving, buffer, offset, size, hash, word, now);
            }
            offset += size;
        }
        pool.free(segment);
    }

    @GuardedBy("drainLock")
    private void drainEntry(Reason reason, Segment segment, boolean young, boolean moving, ByteBuffer buffer,
            int offset, int size, long hash, long word, long now) {
        long place = Slot.place(word);
        long expiresAt = EntryLayout.expiresAt(buffer, offset);
        int frequency = Slot.frequency(word);
        if (EntryLayout.expired(expiresAt, now) || reason == Reason.EXPIRED) {
            if (index.removeAt(hash, place) != 0) {
                liveBytes.add(-size);
                evictions.increment();
                expirations.increment();
            }
            return;
        }
        // Read since written or moved: main keeps it. Unread and leaving young: a key that came back after a ghost
        // goes on to main (S3-FIFO), but into a full main only unless the traffic loops (where it is worth no more
        // than what main holds); in a loop, unread entries also fill main's room until main first fills.
        boolean keep = frequency > 0;
        if (young && !keep) {
            boolean loop = climber.looping();
            boolean room = policy.mainHasRoom();
            keep = climber.returned(hash) && (room || !loop) || loop && room && !policy.mainFilled();
        }
        if (reason != Reason.FORCED && moving && keep
                && moveToMain(segment, buffer, offset, size, hash, place, young ? 0 : frequency - 1, expiresAt)) {
            return;
        }
        if (index.removeAt(hash, place) != 0) {
            liveBytes.add(-size);
            evictions.increment();
            dropsByReason[reason.ordinal()]++;
            if (reason == Reason.FORCED) {
                forced.add(young ? 1 : 0); // a young one: the one way a write within the horizon can go
            }
            else if (young) {
                climber.youngDropped(hash, segment.lastMark());
            }
            else {
                climber.mainDropped(hash, mainDropped.addAndGet(size));
            }
        }
    }

    /** Copies an entry to the open main segment of its class and points its slot there; false if there is no room. */
    @GuardedBy("drainLock")
    private boolean moveToMain(Segment from, ByteBuffer buffer, int offset, int size, long hash, long place,
            int frequency, long expiresAt) {
        long at = open.append(Segment.Kind.MAIN, from.ttlClass(), size, true);
        if (at < 0) {
            return false;
        }
        Segment to = pool.get((int) (at >>> 32));
        int toOffset = (int) at;
        try {
            to.buffer().put(toOffset, buffer, offset, size);
            to.raiseExpiry(expiresAt);
            to.raiseMark(from.lastMark());
            if (index.move(hash, place, Slot.place(to.id, toOffset), frequency)) {
                to.addLive(size);
                moves.increment();
            }
            return true; // moved, or replaced meanwhile (the copy is then dead bytes)
        }
        finally {
            to.published();
        }
    }

    /**
     * Keeps main's maximum at what the budget leaves it: all segments but the young share's (its horizon, and one
     * segment for each open one, whose young writes may straddle it), the open ones, the index's pages, the
     * drains' reserve and a spare few.
     */
    private void fit() {
        policy.fitMain(mainMaximum());
    }

    private long mainMaximum() {
        int segmentSize = pool.segmentSize();
        long horizonSegments = (climber.horizon() + segmentSize - 1) / segmentSize + 1;
        int openNow = open == null ? 0 : open.count();
        long segments = pool.count() - horizonSegments - 2L * openNow - index.pageCount() - COPY_RESERVE
                - SPARE_SEGMENTS;
        return Math.max(0, segments) * segmentSize;
    }

    private static int align(int value, int alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }

    // Index callbacks ----------------------------------------------------------------------------------------

    /** Matches a key under its chain's lock, and remembers what the match replaced or removed. */
    private final class Match implements KeyIndex.Keys {

        int size;
        long expiresAt;

        @Override
        public boolean hasKey(long word, byte[] packedKey) {
            ByteBuffer buffer = pool.get(Slot.segment(word)).buffer();
            int offset = Slot.offset(word);
            if (!EntryLayout.hasKey(buffer, offset, packedKey)) {
                return false;
            }
            size = EntryLayout.sizeAt(buffer, offset);
            expiresAt = EntryLayout.expiresAt(buffer, offset);
            return true;
        }
    }

    /** Reads a candidate entry inside the index's read section: a copy, checked against the key sought. */
    private final class Reader implements KeyIndex.Probe {

        private final byte[] packedKey;
        byte[] copy;
        int generation;

        Reader(byte[] packedKey) {
            this.packedKey = packedKey;
        }

        @Override
        public boolean test(long word) {
            int id = Slot.segment(word);
            if (id < 0 || id >= pool.count()) {
                return false;
            }
            Segment segment = pool.get(id);
            int generationNow = segment.generation();
            ByteBuffer buffer = segment.buffer();
            if (buffer == null) {
                return false;
            }
            byte[] read = EntryLayout.copy(buffer, Slot.offset(word), buffer.capacity());
            if (read == null || !EntryLayout.hasKey(read, packedKey)) {
                return false;
            }
            copy = read;
            generation = generationNow;
            return true;
        }
    }

    // Warm restart (see WarmRestart) -------------------------------------------------------------------------

    /**
     * Hands every segment to the sink, each with the entries of it the index names and that have not expired, their
     * expiry as a Unix time in milliseconds (0: never): main segments, then young ones from the newest to the
     * oldest, so that a smaller budget restores what it can keep first. The open segments are closed first (a few
     * partly filled segments, drained in turn), and every closed one is read once its writers are out, whether or
     * not it has reached the policy yet. The store goes on serving meanwhile: what is written after the start may be
     * left out, a segment drained while it is copied is, and an entry moved meanwhile may be in twice (the first
     * restored stays).
     */
    public void writeSegmentsTo(SegmentSink sink) throws IOException {
        open.sealAll();
        long start = sequence.get(); // segments opened from now on hold writes after the snapshot's start
        List<Segment> segments = new ArrayList<>();
        List<Segment> young = new ArrayList<>();
        for (int id = 0; id < pool.count(); id++) {
            Segment segment = pool.get(id);
            Segment.Kind kind = segment.kind();
            if (kind != null && kind != Segment.Kind.INDEX && segment.closed()) {
                (kind == Segment.Kind.MAIN ? segments : young).add(segment);
            }
        }
        young.sort(Comparator.comparingLong(Segment::sequence).reversed()); // the newest first
        segments.addAll(young);
        ByteBuffer out = ByteBuffer.allocateDirect(pool.segmentSize()).order(EntryLayout.ORDER);
        byte[] key = new byte[256];
        for (Segment segment : segments) {
            int generation = segment.generation();
            segment.waitForWriters();
            Segment.Kind kind = segment.kind();
            ByteBuffer buffer = segment.buffer();
            long nowNanos = ticker.read();
            long nowMillis = System.currentTimeMillis();
            out.clear();
            int count = 0;
            for (int offset = 0, end = segment.end(); offset < end && segment.generation() == generation; ) {
                int keyLength = EntryLayout.keyLength(buffer, offset);
                int size = EntryLayout.sizeAt(buffer, offset);
                if (key.length < keyLength) {
                    key = new byte[keyLength];
                }
                buffer.get(offset + EntryLayout.HEADER, key, 0, keyLength);
                long expiresAt = EntryLayout.expiresAt(buffer, offset);
                if (!EntryLayout.expired(expiresAt, nowNanos) && wasLive(key, keyLength, segment.id, offset, start)) {
                    long remaining = EntryLayout.remaining(expiresAt, nowNanos);
                    int at = out.position();
                    out.put(at, buffer, offset, size).position(at + size);
                    // Rounded down to the millisecond: restored, an entry expires a little early rather than late.
                    EntryLayout.setExpiresAt(out, at,
                            remaining == Long.MAX_VALUE ? 0 : nowMillis + remaining / 1_000_000);
                    count++;
                }
                offset += size;
            }
            if (segment.generation() == generation && kind != null && count > 0) {
                sink.addSegment(out.flip(), count, kind.ordinal(), segment.ttlClass(), segment.lastMark());
            }
        }
    }

    /**
     * True if the entry at this place was the key's live one when a snapshot started: the index names it, or it
     * names a newer one in a segment opened since the start (an overwrite or a move that the snapshot misses).
     */
    private boolean wasLive(byte[] key, int keyLength, int segment, int offset, long start) {
        long hash = KeyHash.of(seed, key, 0, keyLength);
        if (index.at(hash, Slot.place(segment, offset)) != 0) {
            return true;
        }
        long current = index.find(hash, new Reader(Arrays.copyOf(key, keyLength)));
        return current != 0 && pool.get(Slot.segment(current)).sequence() > start;
    }

    /**
     * Restores the segments of a snapshot, from the reader's thread, into an empty store (readiness is down): each
     * entry is appended to a segment of its kind and class and filed in the index, unless its key was written since
     * the store started, or it expired. The young segments join the FIFO in their order when
     * {@link Restore#finish} is called.
     */
    public Restore restoring() {
        return new Restore();
    }

    /** A restore under way (see {@link #restoring}); one thread at a time. */
    public final class Restore {

        private final Map<Integer, Segment> current = new HashMap<>();
        private final List<Segment> young = new ArrayList<>();
        private final List<Segment> main = new ArrayList<>();
        private long entries;
        private long chars;
        private long expired;
        private boolean full;

        /** Restores one segment of a snapshot; false once the store is full (what follows is left out). */
        public boolean add(SnapshotSegment frame) {
            if (full) {
                return false;
            }
            Segment.Kind kind = frame.kind() == Segment.Kind.MAIN.ordinal() ? Segment.Kind.MAIN : Segment.Kind.YOUNG;
            ByteBuffer in = frame.entries();
            long nowNanos = ticker.read();
            long nowMillis = System.currentTimeMillis();
            written.accumulateAndGet(frame.lastMark(), Math::max);
            for (int i = 0, offset = 0; i < frame.count(); i++) {
                int keyLength = EntryLayout.keyLength(in, offset);
                int valueLength = EntryLayout.valueLength(in, offset);
                int size = EntryLayout.size(keyLength, valueLength);
                long expiresAtMillis = EntryLayout.expiresAt(in, offset);
                if (expiresAtMillis != 0 && expiresAtMillis <= nowMillis) {
                    expired++;
                }
                else if (!restore(kind, frame.ttlClass(), frame.lastMark(), in, offset, size, expiresAtMillis == 0
                        ? EntryLayout.NEVER : nowNanos + (expiresAtMillis - nowMillis) * 1_000_000)) {
                    full = true;
                    return false;
                }
                offset += size;
            }
            return true;
        }

        private boolean restore(Segment.Kind kind, int ttlClass, long lastMark, ByteBuffer in, int offset, int size,
                long expiresAt) {
            int slot = kind.ordinal() << 8 | ttlClass;
            Segment segment = current.get(slot);
            int at = segment == null ? -1 : segment.reserve(size);
            if (at < 0) {
                if (segment != null) {
                    segment.seal();
                }
                segment = pool.take(COPY_RESERVE + SPARE_SEGMENTS + 2 * OpenSegments.TTL_CLASSES / 8);
                if (segment == null) {
                    return false;
                }
                segment.openForRestore(kind, ttlClass, sequence.incrementAndGet());
                current.put(slot, segment);
                (kind == Segment.Kind.MAIN ? main : young).add(segment);
                at = segment.reserve(size);
            }
            try {
                ByteBuffer buffer = segment.buffer();
                buffer.put(at, in, offset, size);
                EntryLayout.setExpiresAt(buffer, at, expiresAt);
                int keyLength = EntryLayout.keyLength(buffer, at);
                byte[] packedKey = new byte[keyLength];
                buffer.get(at + EntryLayout.HEADER, packedKey);
                long hash = KeyHash.of(seed, packedKey);
                Match match = new Match();
                if (index.putIfAbsent(hash, packedKey, Slot.word(hash, Slot.place(segment.id, at), 0), match) == 0) {
                    segment.addLive(size);
                    segment.raiseExpiry(expiresAt);
                    segment.raiseMark(lastMark);
                    liveBytes.add(size);
                    entries++;
                    chars += PackedAscii.charCount(packedKey, 0, keyLength)
                            + EntryLayout.valueChars(buffer, at);
                }
            }
            finally {
                segment.published();
            }
            return true;
        }

        /**
         * Seals the restored segments and hands them to the policy: main ones to Caffeine, young ones to the FIFO,
         * oldest first (the file holds them newest first).
         */
        public void finish() {
            current.values().forEach(Segment::seal);
            main.forEach(policy::sealed);
            Collections.reverse(young);
            young.forEach(policy::sealed);
            fit();
        }

        /** Entries restored. */
        public long entries() {
            return entries;
        }

        /** Characters of their keys and values. */
        public long chars() {
            return chars;
        }

        /** Entries of the snapshot that had expired. */
        public long expired() {
            return expired;
        }

        /** True if the store filled before the snapshot's end. */
        public boolean full() {
            return full;
        }
    }

    // Snapshots of version 1, entry by entry (see WarmRestart) ------------------------------------------------

    /** The bytes an entry of these lengths costs (for fitting a snapshot of entries to the budget). */
    public int weigh(int keyLength, int valueLength) {
        return entryCost(keyLength, valueLength);
    }

    /** What the store can take in without evicting anything, for restoring a snapshot into an empty store. */
    public long restorableBytes() {
        return (long) (pool.count() - COPY_RESERVE - SPARE_SEGMENTS - 4) * pool.segmentSize() * 9 / 10;
    }

    /**
     * Restores an entry read from a snapshot, unless the key was written since the store started (newer), with its
     * expiry, converted from the snapshot's wall-clock time to this process' ticker; it counts as a new write.
     *
     * @param expiresAtEpochMillis when it expires; 0 for never (an entry already expired is the caller's to skip)
     */
    public void restore(byte[] keyAscii, byte[] valueAscii, long expiresAtEpochMillis) {
        long ttlNanos = expiresAtEpochMillis == 0 ? 0
                : Math.max(1, (expiresAtEpochMillis - System.currentTimeMillis()) * 1_000_000);
        long expiresAt = ttlNanos == 0 ? EntryLayout.NEVER : ticker.read() + ttlNanos;
        // Unless the key was written since the store started: that entry is newer.
        append(EntryLayout.pack(keyAscii), EntryLayout.pack(valueAscii), expiresAt, OpenSegments.ttlClass(ttlNanos),
                false);
    }

    // Meters and tests ---------------------------------------------------------------------------------------

    /** Bytes of the entries the index names. */
    public long liveBytes() {
        return liveBytes.sum();
    }

    /** Off-heap memory taken from the system: the segments used so far, the index's primary buckets, the ghosts. */
    public long committedBytes() {
        return pool.committedBytes() + index.primaryBytes() + climber.ghostBytes();
    }

    /** Entries dropped from a young segment forced out because nothing else could make room (see eviction.md). */
    public long forcedEvictionCount() {
        return forced.sum();
    }

    /** Entries moved on to a main segment (read while young, or read again in main). */
    public long movedCount() {
        return moves.sum();
    }

    /** True if the store holds a live entry for the key (looked up without counting a read). */
    boolean holds(String key) {
        byte[] packedKey = EntryLayout.packKey(key);
        Reader reader = new Reader(packedKey);
        return index.find(KeyHash.of(seed, packedKey), reader) != 0
                && !EntryLayout.expired(EntryLayout.expiresAt(reader.copy), ticker.read());
    }

    /** True if the key's live entry is in a main segment (looked up without counting a read). */
    boolean inMain(String key) {
        byte[] packedKey = EntryLayout.packKey(key);
        Reader reader = new Reader(packedKey);
        long word = index.find(KeyHash.of(seed, packedKey), reader);
        return word != 0 && pool.get(Slot.segment(word)).kind() == Segment.Kind.MAIN
                && !EntryLayout.expired(EntryLayout.expiresAt(reader.copy), ticker.read());
    }

    /** The share of the budget the young segments keep now. */
    public double youngShare() {
        return (double) climber.horizon() / budgetBytes;
    }

    /** Segments the index took for its overflow buckets. */
    public int indexPages() {
        return index.pageCount();
    }

    public int segmentSize() {
        return pool.segmentSize();
    }

    public int segmentCount() {
        return pool.count();
    }

    /** What the segments hold now, for tests and simulations. */
    String describe() {
        long youngLive = 0;
        long mainLive = 0;
        int young = 0;
        int main = 0;
        for (int id = 0; id < pool.count(); id++) {
            Segment segment = pool.get(id);
            if (segment.kind() == Segment.Kind.YOUNG) {
                young++;
                youngLive += segment.liveBytes();
            }
            else if (segment.kind() == Segment.Kind.MAIN) {
                main++;
                mainLive += segment.liveBytes();
            }
        }
        int size = pool.segmentSize();
        return String.format(Locale.ROOT, "drops %s, drains %s, segments %d: free %d, young %d (%.2f live), main %d "
                + "(%.2f live, at most %d), open %d, index %d; horizon %d segments", Arrays.toString(dropsByReason),
                Arrays.toString(drainsByReason), pool.count(), pool.freeCount(), young,
                youngLive / (double) Math.max(1, young) / size, main, mainLive / (double) Math.max(1, main) / size,
                policy.mainMaximum() / size, open.count(), index.pageCount(), climber.horizon() / size);
    }

    /**
     * What an entry of these lengths costs: its bytes in a segment, and its share of the index (an 8-byte slot in
     * buckets of 7 slots and a link, about 70% full).
     */
    public static int entryCost(int keyLength, int valueLength) {
        return EntryLayout.sizeOf(keyLength, valueLength) + INDEX_BYTES_PER_ENTRY;
    }
}
