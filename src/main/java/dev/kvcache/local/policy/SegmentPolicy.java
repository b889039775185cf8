package dev.kvcache.local.policy;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import com.google.errorprone.annotations.concurrent.GuardedBy;

import dev.kvcache.local.segment.EntryLayout;
import dev.kvcache.local.segment.Segment;

/**
 * Decides which segment leaves next, and why: the shape of S3-FIFO (Yang et al., SOSP '23) over segments, with
 * Caffeine choosing among the main ones.
 * <ul>
 * <li><b>Young</b> segments hold every new write, in a FIFO. The oldest leaves once its writes are all past the
 * horizon (the newest {@code horizon} bytes of writes, see {@link YoungClimber}) and room is needed; its entries
 * read while young go on to main, the rest are dropped and leave a ghost.</li>
 * <li><b>Main</b> segments hold what was read: a Caffeine cache of them, weighed by their bytes, decides which
 * leaves (W-TinyLFU, with each read of an entry recorded as an access of its segment); its entries read since they
 * were last moved are written again (their count decremented), the rest are dropped.</li>
 * <li><b>Age</b>: every sealed segment is in Caffeine, which expires it when its last entry expires (young ones
 * weigh nothing, so Caffeine never evicts them for size: an entry that weighs 0 is never evicted).</li>
 * </ul>
 * This class only decides and queues; the store drains the segments it hands out ({@link #nextVictim}).
 */
public final class SegmentPolicy {

    /** Why a segment leaves. */
    public enum Reason {
        /** The oldest young segment, its writes all past the horizon. */
        YOUNG,
        /** Evicted by Caffeine for room. */
        EVICTED,
        /** Its entries have all expired. */
        EXPIRED,
        /** Dropped whole because nothing else could make room (see {@link #forcedVictim}). */
        FORCED
    }

    /** An incarnation of a segment to drain, and why. */
    public record Victim(Segment segment, long sequence, Reason reason) {

        public Victim(Segment segment, Reason reason) {
            this(segment, segment.sequence(), reason);
        }
    }

    private final Cache<Long, Segment> caffeine;
    private final Policy.Eviction<Long, Segment> eviction;
    private final int segmentSize;
    @GuardedBy("young")
    private final ArrayDeque<Segment> young = new ArrayDeque<>();
    private final ConcurrentLinkedQueue<Victim> victims = new ConcurrentLinkedQueue<>();
    private volatile int youngCount;
    private volatile boolean mainFilled;

    /**
     * @param mainMaximum the bytes main segments may take at first
     * @param ticker the clock of the entries' expiry
     * @param executor where Caffeine runs its maintenance
     * @param scheduler wakes Caffeine when the next segment expires
     */
    public SegmentPolicy(int segmentSize, long mainMaximum, Ticker ticker, Executor executor, Scheduler scheduler) {
        this.segmentSize = segmentSize;
        this.caffeine = Caffeine.newBuilder()
                .maximumWeight(mainMaximum)
                .weigher((Long key, Segment segment) -> segment.kind() == Segment.Kind.MAIN ? segmentSize : 0)
                .expireAfter(new LastExpiry())
                .evictionListener(this::onCaffeineRemoval)
                .ticker(ticker)
                .executor(executor)
                .scheduler(scheduler)
                .build();
        this.eviction = caffeine.policy().eviction().orElseThrow();
    }

    /** A segment is full and its writers are out: young ones join the FIFO; all join Caffeine. */
    public void sealed(Segment segment) {
        if (segment.kind() == Segment.Kind.YOUNG) {
            synchronized (young) {
                young.addLast(segment);
                youngCount = young.size();
            }
        }
        caffeine.put(segment.key(), segment);
    }

    /** An entry of this main segment was read: Caffeine counts it for the segment. */
    public void mainRead(Segment segment) {
        Long key = segment.key();
        if (key != null) {
            caffeine.getIfPresent(key);
        }
    }

    /**
     * The next segment to drain: one Caffeine evicted or expired, else the oldest young segment if every write in it
     * is past the horizon ({@code written - horizon}); null if neither. The caller claims it before draining.
     */
    public Victim nextVictim(long written, long horizon) {
        Victim queued = victims.poll();
        if (queued != null) {
            if (queued.segment().kind() == Segment.Kind.YOUNG) {
                removeYoung(queued.segment());
            }
            return queued;
        }
        Segment oldest;
        synchronized (young) {
            oldest = young.peekFirst();
            if (oldest == null || oldest.lastMark() > written - horizon) {
                return null;
            }
            young.pollFirst();
            youngCount = young.size();
        }
        caffeine.invalidate(oldest.key());
        return new Victim(oldest, Reason.YOUNG);
    }

    /**
     * When nothing else makes room: Caffeine's coldest main segment, else the oldest young one whatever its writes
     * (the guarantee gives way only here, when the budget holds nothing but recent writes and the segments that
     * store and index them).
     */
    public Victim forcedVictim() {
        List<Segment> coldest = eviction.coldest(entries -> entries.map(entry -> entry.getValue())
                .filter(segment -> segment.kind() == Segment.Kind.MAIN).limit(1).toList());
        if (!coldest.isEmpty()) {
            caffeine.invalidate(coldest.get(0).key());
            return new Victim(coldest.get(0), Reason.FORCED);
        }
        Segment oldest;
        synchronized (young) {
            oldest = young.pollFirst();
            youngCount = young.size();
        }
        if (oldest == null) {
            return null;
        }
        caffeine.invalidate(oldest.key());
        return new Victim(oldest, Reason.FORCED);
    }

    /** Runs Caffeine's pending maintenance: evictions and expiries are queued. */
    public void cleanUp() {
        caffeine.cleanUp();
    }

    /** True if segments wait to be drained. */
    public boolean hasVictims() {
        return !victims.isEmpty();
    }

    /**
     * Lets main segments take up to {@code bytes}; where main holds more already (the horizon grew), it keeps what
     * it holds and gives segments up one at a time, as room is needed ({@link #evictMain}), rather than all at once
     * for room nobody asked for yet.
     */
    public void fitMain(long bytes) {
        long maximum = eviction.getMaximum();
        long wanted = bytes >= mainBytes() ? bytes : Math.min(maximum, mainBytes());
        if (wanted != maximum) {
            eviction.setMaximum(Math.max(0, wanted));
        }
    }

    /** Has Caffeine evict one main segment (of its choosing), now: it is queued. False if main holds none. */
    public boolean evictMain() {
        long weight = mainBytes();
        if (weight == 0) {
            return false;
        }
        eviction.setMaximum(weight - segmentSize);
        return true;
    }

    public long mainMaximum() {
        return eviction.getMaximum();
    }

    /** True if main holds less than its maximum by a segment at least: room nobody has claimed yet. */
    public boolean mainHasRoom() {
        return mainBytes() + segmentSize <= eviction.getMaximum();
    }

    /** True once Caffeine evicted a main segment for room: main has been full. */
    public boolean mainFilled() {
        return mainFilled;
    }

    /** Bytes of the main segments Caffeine holds. */
    public long mainBytes() {
        return eviction.weightedSize().orElse(0);
    }

    /** Bytes of the sealed young segments. */
    public long youngBytes() {
        return (long) youngCount * segmentSize;
    }

    /** Bytes of writes the young segments span: from the oldest one's first write to {@code written}. */
    public long youngSpan(long written) {
        Segment oldest;
        synchronized (young) {
            oldest = young.peekFirst();
        }
        return oldest == null ? 0 : written - oldest.lastMark() + segmentSize;
    }

    public int youngCount() {
        return youngCount;
    }

    private void removeYoung(Segment segment) {
        synchronized (young) {
            young.remove(segment);
            youngCount = young.size();
        }
    }

    /** Inside Caffeine's maintenance: only queues, as draining appends to segments that Caffeine will be told of. */
    private void onCaffeineRemoval(Long key, Segment segment, RemovalCause cause) {
        if (segment != null) {
            if (cause == RemovalCause.SIZE) {
                mainFilled = true;
            }
            victims.add(new Victim(segment, key, cause == RemovalCause.SIZE ? Reason.EVICTED : Reason.EXPIRED));
        }
    }

    /** A segment lives until its last entry expires. */
    private static final class LastExpiry implements Expiry<Long, Segment> {

        @Override
        public long expireAfterCreate(Long key, Segment segment, long now) {
            return EntryLayout.remaining(segment.maxExpiry(), now);
        }

        @Override
        public long expireAfterUpdate(Long key, Segment segment, long now, long currentDuration) {
            return expireAfterCreate(key, segment, now);
        }

        @Override
        public long expireAfterRead(Long key, Segment segment, long now, long currentDuration) {
            return currentDuration;
        }
    }
}
