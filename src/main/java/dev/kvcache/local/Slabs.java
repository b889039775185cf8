package dev.kvcache.local;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongPredicate;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import dev.kvcache.cache.MemoryBudget;

/**
 * Off-heap memory for the entries' bytes, written as a log: pages of 256 KiB of direct memory, each filled from its
 * start with chunks of any size, one after another, and never written again until every chunk in it is freed and
 * the page is recycled. No size classes: whatever sizes the entries have, and however they change, a page holds
 * them, so the pages follow the sizes. The garbage collector never sees these bytes.
 *
 * <p>Freeing a chunk only marks it: its page empties as its chunks are freed. To take back the room of pages that
 * stay partly used, the store moves their live chunks elsewhere ({@link #takeVictim}, {@link #forEachLive}, and
 * {@link #allocateForMove} for the copies); this class knows nothing of who owns a chunk.
 *
 * <p>A chunk is named by a reference ({@code long}) that carries its page, the page's generation and its offset.
 * A chunk's first 4 bytes are the slabs' own: its size, negated once it is freed. Recycling a page bumps its
 * generation. A reader that copied a chunk and then finds it freed or its page recycled ({@link #copy}) may have
 * read bytes of another chunk, and must look again. Pages are never returned to the system, so a stale reader
 * reads old bytes, never unmapped memory.
 *
 * <p>Allocation takes the lock of a stripe (a thread allocates from its own stripe's open page); freeing and
 * reading take none.
 */
final class Slabs {

    static final int PAGE_SHIFT = 18;
    static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    /** Chunks start at multiples of this. */
    private static final int ALIGNMENT = 8;
    /** Bytes of a chunk that are the slabs' own: its size, negative once freed. */
    static final int HEADER = 4;

    // A reference: [page + 1: 15 bits][generation: 32][offset / 8: 15]. Never 0.
    private static final int OFFSET_BITS = PAGE_SHIFT - 3;
    private static final int GENERATION_BITS = 32;
    private static final long OFFSET_MASK = (1L << OFFSET_BITS) - 1;
    /** The most pages a reference can name: 8 GiB. */
    static final int MAX_PAGES = (1 << 15) - 1;

    /**
     * Pages kept back for the copies of moved chunks: moving the live chunks of a page needs room before the page
     * gives its own back.
     */
    static final int MOVER_PAGES = 2;
    /** The least slack: the stripes' open pages, the pages kept back for moving chunks, and two more. */
    static final int MIN_SLACK_PAGES = 8;
    /** A page is worth emptying by moving its chunks only if this much of it is free. */
    private static final int MIN_GAIN = PAGE_SIZE / 32;
    /** Cleanings a page that could not be emptied is passed over for (one of its chunks was on its way in). */
    private static final int PASS_OVER = 8;
    /**
     * Stripes for threads that put, so that two rarely want the same lock: up to this many, one per 32 pages (each
     * keeps a page open, which few pages cannot spare).
     */
    private static final int MAX_STRIPES = 4;

    private static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final VarHandle ARRAY_INTS = MethodHandles.arrayElementVarHandle(int[].class);

    private final int maxPages;
    private final long maxFreedBytes;
    private final ByteBuffer[] pages;
    /**
     * Per page, {@link #PAGE_INFO} ints (a cache line, so that two threads working on two pages never write one
     * line): the bytes of its live chunks; its state; the end of its written part, once sealed; its generation,
     * bumped (release) when it is recycled and read (acquire) by {@link #isCurrent}; and the cleaning before which
     * {@link #takeVictim} passes it over.
     */
    private final int[] info;
    private static final int PAGE_INFO = 16;
    private static final int LIVE = 0;
    private static final int STATE = 1;
    private static final int END = 2;
    private static final int GENERATION = 3;
    private static final int PASS_UNTIL = 4;

    // A page's states: in the pool; a stripe's open page; full, its chunks freed one by one; taken to be emptied.
    private static final int FREE = 0;
    private static final int OPEN = 1;
    private static final int SEALED = 2;
    private static final int CLEANING = 3;

    private final Stripe[] stripes;
    /** Where moved chunks go: apart from new writes, so that pages of long-lived chunks stay full. */
    private final Stripe mover = new Stripe();
    /** Pages recycled, for any stripe to open. */
    @GuardedBy("poolLock")
    private final IntStack pool = new IntStack();
    private final SpinLock poolLock = new SpinLock();
    private volatile int pageCount;
    private final LongAdder used = new LongAdder();
    /** Cleanings so far; only the one cleaner at a time counts them. */
    private int cleanings;

    /** An open page and how far it is written; under its lock. Padded: each stripe's threads write their own. */
    private static final class Stripe {

        final SpinLock lock = new SpinLock();
        @GuardedBy("lock")
        int page = -1;
        @GuardedBy("lock")
        int top;
        long p1, p2, p3, p4, p5, p6, p7;
    }

    /**
     * The most the pages may take for chunks of {@code chunkRoom} bytes: that room, and a slack of 5% of it (at least
     * 8 pages, at most {@link MemoryBudget#OFF_HEAP_SLACK}) for freed chunks not yet taken back and open pages. The
     * page cleaner keeps the freed room within the slack; the less there is, the more live chunks it moves.
     */
    static long maxBytesFor(long chunkRoom) {
        return chunkRoom + slackFor(chunkRoom);
    }

    /** The slack of {@link #maxBytesFor}: the freed room the pages may hold beside the chunks in use. */
    static long slackFor(long chunkRoom) {
        return Math.max(MIN_SLACK_PAGES * (long) PAGE_SIZE, Math.min(MemoryBudget.OFF_HEAP_SLACK, chunkRoom / 20));
    }

    /** Pages that may take up to {@code maxBytes}, whatever of it freed chunks hold. */
    Slabs(long maxBytes) {
        this(maxBytes, maxBytes);
    }

    /**
     * @param maxBytes the most memory the pages may take, rounded down to whole pages (at least a few)
     * @param maxFreedBytes the most the pages may hold beyond the chunks in use (freed chunks not yet taken back,
     *     pages being written) before an allocation must have the room taken back rather than a new page: so the
     *     pages follow what the chunks need, not only the maximum
     */
    Slabs(long maxBytes, long maxFreedBytes) {
        this.maxFreedBytes = maxFreedBytes;
        this.maxPages = (int) Math.max(MAX_STRIPES + MOVER_PAGES + 1, Math.min(MAX_PAGES, maxBytes >> PAGE_SHIFT));
        this.pages = new ByteBuffer[maxPages];
        this.info = new int[maxPages * PAGE_INFO];
        this.stripes = new Stripe[Integer.highestOneBit(Math.max(1, Math.min(MAX_STRIPES, maxPages / 32)))];
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Stripe();
        }
    }

    /** The room a chunk holding {@code bytes} (its header included) takes: what an entry of that size takes here. */
    static int chunkSize(int bytes) {
        if (bytes > PAGE_SIZE) {
            throw new IllegalArgumentException("no chunk holds " + bytes + " bytes");
        }
        return (Math.max(bytes, HEADER + 4) + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /** The largest size a chunk can have. */
    static int maxChunkSize() {
        return PAGE_SIZE;
    }

    /**
     * A chunk of at least {@code bytes}, its header included, or 0 when every page is in use (the caller makes room
     * and tries again). Its bytes after the header are the caller's to write until it publishes the reference.
     */
    long allocate(int bytes) {
        return allocate(stripes[(int) Thread.currentThread().getId() & (stripes.length - 1)], chunkSize(bytes), false);
    }

    /** A chunk for the copy of a chunk being moved, from the pages kept back for it; 0 if there is none. */
    long allocateForMove(int bytes) {
        return allocate(mover, chunkSize(bytes), true);
    }

    private long allocate(Stripe stripe, int size, boolean moving) {
        while (true) {
            stripe.lock.lock();
            try {
                if (stripe.page >= 0 && stripe.top + size <= PAGE_SIZE) {
                    return cut(stripe, size);
                }
                int page = poolTake(moving);
                if (page >= 0) {
                    seal(stripe);
                    open(stripe, page);
                    return cut(stripe, size);
                }
            }
            finally {
                stripe.lock.unlock();
            }
            if (!grow(moving)) { // with no lock held: it may take memory from the system
                return 0;
            }
        }
    }

    /** The next chunk of the stripe's open page, with room checked. */
    @GuardedBy("stripe.lock")
    private long cut(Stripe stripe, int size) {
        int page = stripe.page;
        int offset = stripe.top;
        stripe.top += size;
        pages[page].putInt(offset, size);
        ARRAY_INTS.getAndAdd(info, at(page, LIVE), size);
        used.add(size);
        return reference(page, info[at(page, GENERATION)], offset);
    }

    @GuardedBy("stripe.lock")
    private void open(Stripe stripe, int page) {
        info[at(page, END)] = 0;
        ARRAY_INTS.setRelease(info, at(page, STATE), OPEN);
        stripe.page = page;
        stripe.top = 0;
    }

    /** The stripe's page is written to its end: its room comes back as its chunks are freed. */
    @GuardedBy("stripe.lock")
    private void seal(Stripe stripe) {
        int page = stripe.page;
        if (page < 0) {
            return;
        }
        info[at(page, END)] = stripe.top;
        // Volatile: after the chunks' headers (for walkers), and before the live bytes are read, as a last free
        // reads the state after its write of the live bytes: one of the two sees the other's.
        ARRAY_INTS.setVolatile(info, at(page, STATE), SEALED);
        stripe.page = -1;
        if ((int) ARRAY_INTS.getVolatile(info, at(page, LIVE)) == 0) {
            recycle(page, SEALED);
        }
    }

    /** Frees a chunk: readers holding its reference will find it stale. Only its one owner may call this. */
    void free(long reference) {
        int page = page(reference);
        int offset = offset(reference);
        ByteBuffer buffer = pages[page];
        int size = buffer.getInt(offset);
        if (size <= 0) {
            throw new IllegalStateException("chunk freed twice: " + Long.toHexString(reference));
        }
        INTS.setVolatile(buffer, offset, -size);
        used.add(-size);
        if ((int) ARRAY_INTS.getAndAdd(info, at(page, LIVE), -size) == size) {
            int state = (int) ARRAY_INTS.getVolatile(info, at(page, STATE));
            if (state == SEALED || state == CLEANING) {
                recycle(page, state);
            }
        }
    }

    /** Returns a page whose every chunk was freed to the pool, once (a sealing and a last free may both try). */
    private void recycle(int page, int state) {
        if (!ARRAY_INTS.compareAndSet(info, at(page, STATE), state, FREE)) {
            return;
        }
        // A new generation before the page is written anew: every reference into it is stale from now on.
        ARRAY_INTS.setVolatile(info, at(page, GENERATION), info[at(page, GENERATION)] + 1);
        poolLock.lock();
        try {
            pool.push(page);
        }
        finally {
            poolLock.unlock();
        }
    }

    /**
     * A copy of the chunk's bytes (its header included), or null if the chunk was freed, or its page recycled,
     * before the copy was complete: then the copy may mix bytes of two owners.
     */
    byte[] copy(long reference) {
        if (reference == 0) {
            return null;
        }
        int page = page(reference);
        int offset = offset(reference);
        int size = pages[page].getInt(offset); // may be stale too: only the bounds matter, the check below decides
        if (size <= 0) {
            return null;
        }
        byte[] bytes = new byte[Math.min(size, PAGE_SIZE - offset)];
        pages[page].get(offset, bytes);
        return isCurrent(reference) ? bytes : null;
    }

    /** True if the reference's chunk has not been freed; reads made before this call happen before its checks. */
    boolean isCurrent(long reference) {
        if (reference == 0) {
            return false;
        }
        VarHandle.acquireFence();
        int page = page(reference);
        return (int) ARRAY_INTS.getAcquire(info, at(page, GENERATION)) == generation(reference)
                && (int) INTS.getAcquire(pages[page], offset(reference)) > 0;
    }

    /** Writes {@code bytes} into the chunk from {@code from} on (its first {@link #HEADER} bytes: not there). */
    void write(long reference, int from, byte[] bytes, int length) {
        pages[page(reference)].put(offset(reference) + from, bytes, from, length - from);
    }

    /**
     * An int of a chunk, unchecked: of the caller's own chunk, or to be checked with {@link #isCurrent} afterwards
     * (a stale reference reads bytes of some other chunk).
     */
    int intAt(long reference, int at) {
        return pages[page(reference)].getInt(offset(reference) + at);
    }

    /** A long of a chunk, unchecked, as {@link #intAt}. */
    long longAt(long reference, int at) {
        return pages[page(reference)].getLong(offset(reference) + at);
    }

    /** Bytes of the chunks in use. */
    long usedBytes() {
        return used.sum();
    }

    /** Bytes of the pages taken from the system so far (they are kept). */
    long committedBytes() {
        return (long) pageCount << PAGE_SHIFT;
    }

    /**
     * The sealed page with the fewest live bytes, now taken for emptying (the caller moves or frees each of its
     * live chunks, then {@link #release}s it); -1 if no page has at least {@link #MIN_GAIN} bytes to give back.
     * For one cleaner at a time.
     */
    int takeVictim() {
        cleanings++;
        while (true) {
            int best = -1;
            int bestLive = PAGE_SIZE - MIN_GAIN + 1;
            for (int page = 0, count = pageCount; page < count; page++) {
                if ((int) ARRAY_INTS.getAcquire(info, at(page, STATE)) == SEALED
                        && info[at(page, PASS_UNTIL)] - cleanings <= 0) {
                    int live = (int) ARRAY_INTS.getVolatile(info, at(page, LIVE));
                    if (live < bestLive) {
                        best = page;
                        bestLive = live;
                    }
                }
            }
            if (best < 0 || ARRAY_INTS.compareAndSet(info, at(best, STATE), SEALED, CLEANING)) {
                return best;
            }
        }
    }

    /**
     * Hands the reference of each live chunk of a page taken with {@link #takeVictim} to {@code action}, until it
     * returns false. A chunk may be freed meanwhile: the action finds it stale.
     */
    void forEachLive(int page, LongPredicate action) {
        ByteBuffer buffer = pages[page];
        int generation = (int) ARRAY_INTS.getAcquire(info, at(page, GENERATION));
        for (int offset = 0, end = info[at(page, END)]; offset < end; ) {
            int size = (int) INTS.getAcquire(buffer, offset);
            if (size > 0 && !action.test(reference(page, generation, offset))) {
                return;
            }
            offset += Math.abs(size);
        }
    }

    /**
     * Gives back a page taken with {@link #takeVictim}: true if it still holds live chunks (it is then passed over a
     * while), false if it emptied and was recycled.
     */
    boolean release(int page) {
        info[at(page, PASS_UNTIL)] = cleanings + PASS_OVER; // only the cleaner reads it, and only of sealed pages
        return ARRAY_INTS.compareAndSet(info, at(page, STATE), CLEANING, SEALED);
    }

    /** A recycled page, unless only the mover's kept-back pages are left and this is not for the mover; or -1. */
    private int poolTake(boolean moving) {
        poolLock.lock();
        try {
            if (pool.isEmpty() || (!moving && pool.size() <= MOVER_PAGES && pageCount == maxPages)) {
                return -1;
            }
            return pool.pop();
        }
        finally {
            poolLock.unlock();
        }
    }

    /**
     * Takes a new page from the system into the pool, unless the pages are at their maximum (less the pages kept
     * back for the mover, for others than the mover) or, but for the mover, hold more freed room than they may.
     * Call it with no lock held.
     */
    private boolean grow(boolean moving) {
        int limit = moving ? maxPages : maxPages - MOVER_PAGES;
        if (pageCount >= limit || !moving && committedBytes() - used.sum() >= maxFreedBytes) {
            return false;
        }
        ByteBuffer buffer;
        try {
            buffer = ByteBuffer.allocateDirect(PAGE_SIZE).order(ByteOrder.nativeOrder());
        }
        catch (OutOfMemoryError ex) { // -XX:MaxDirectMemorySize reached: as good as full
            return false;
        }
        poolLock.lock();
        try {
            if (pageCount >= limit) {
                return pool.size() > 0; // others took the last pages meanwhile: this one is left to the collector
            }
            int page = pageCount;
            pages[page] = buffer;
            pageCount = page + 1;
            pool.push(page);
            return true;
        }
        finally {
            poolLock.unlock();
        }
    }

    private static int at(int page, int field) {
        return page * PAGE_INFO + field;
    }

    private static long reference(int page, int generation, int offset) {
        return (long) (page + 1) << (GENERATION_BITS + OFFSET_BITS)
                | (generation & 0xFFFF_FFFFL) << OFFSET_BITS
                | (long) (offset >>> 3);
    }

    private static int page(long reference) {
        return (int) (reference >>> (GENERATION_BITS + OFFSET_BITS)) - 1;
    }

    private static int generation(long reference) {
        return (int) (reference >>> OFFSET_BITS);
    }

    private static int offset(long reference) {
        return (int) (reference & OFFSET_MASK) << 3;
    }

    /**
     * A lock for the few nanoseconds the slabs' bookkeeping takes: a monitor's parking costs more than the work
     * when two threads allocate at once. Its holder must never block while holding it: a virtual thread that
     * blocks is unmounted, and spinners would keep the carriers it needs to go on. Padded to a cache line of its
     * own.
     */
    static final class SpinLock {

        private static final VarHandle LOCKED;

        static {
            try {
                LOCKED = MethodHandles.lookup().findVarHandle(SpinLock.class, "locked", int.class);
            }
            catch (ReflectiveOperationException ex) {
                throw new ExceptionInInitializerError(ex);
            }
        }

        long p1, p2, p3, p4, p5, p6, p7;
        private volatile int locked;
        long q1, q2, q3, q4, q5, q6, q7;

        void lock() {
            for (int spins = 0; !LOCKED.compareAndSet(this, 0, 1); ) {
                while (locked != 0) {
                    if (++spins < 1_000) {
                        Thread.onSpinWait();
                    }
                    else {
                        Thread.yield(); // the holder's carrier is not running
                    }
                }
            }
        }

        void unlock() {
            LOCKED.setRelease(this, 0);
        }
    }

    /** A growable stack of ints. */
    private static final class IntStack {

        private int[] items = new int[16];
        private int size;

        boolean isEmpty() {
            return size == 0;
        }

        int size() {
            return size;
        }

        void push(int item) {
            if (size == items.length) {
                items = Arrays.copyOf(items, size * 2);
            }
            items[size++] = item;
        }

        int pop() {
            return items[--size];
        }
    }
}
