package dev.kvcache.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * Off-heap memory for the entries' bytes, cut as memcached cuts it: pages of 256 KiB of direct memory, each cut
 * into chunks of one size class (8-byte steps up to 1 KiB, then steps of 1/16, up to half a page). The garbage
 * collector never sees these bytes, so the heap stays small and steady however full the cache is.
 *
 * <p>A chunk is named by a reference ({@code long}) that carries its page, its offset, the page's generation and
 * the chunk's stamp. Freeing a chunk bumps its stamp, and handing a page that emptied to another size class bumps
 * the page's generation: a reader that copied a chunk and then finds either changed ({@link #copy}) read bytes
 * that were freed under it, and must look again. Pages are never returned to the system, so a stale reader reads
 * old bytes, never unmapped memory.
 *
 * <p>Allocation and freeing take the lock of a stripe of the chunk's size class (a thread allocates from its own
 * stripe, and frees to the chunk's); reading takes none.
 */
final class Slabs {

    static final int PAGE_SHIFT = 18;
    static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    /** Chunk sizes grow by 8 bytes up to this, then by a sixteenth. */
    private static final int FINE_LIMIT = 1024;

    // A reference: [page + 1: 15 bits][generation: 11][offset / 8: 15][stamp: 23]. Never 0.
    private static final int STAMP_BITS = 23;
    private static final int OFFSET_BITS = PAGE_SHIFT - 3;
    private static final int GENERATION_BITS = 11;
    private static final long STAMP_MASK = (1L << STAMP_BITS) - 1;
    private static final long OFFSET_MASK = (1L << OFFSET_BITS) - 1;
    private static final long GENERATION_MASK = (1L << GENERATION_BITS) - 1;
    /** The most pages a reference can name: 8 GiB. */
    static final int MAX_PAGES = (1 << (64 - STAMP_BITS - OFFSET_BITS - GENERATION_BITS)) - 1;

    private static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final VarHandle ARRAY_INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final int[] CLASS_SIZES = classSizes();
    /**
     * Stripes of each size class, taken by thread: two threads putting values of one size rarely want the same
     * lock (JMH, 2 threads, one stripe: 0.9 puts/µs, fewer than 1 thread's 1.9).
     */
    private static final int STRIPES = 4;

    private final int maxPages;
    private final ByteBuffer[] pages;
    /**
     * Per page, {@link #PAGE_INFO} ints (a cache line, so that two threads working on two pages never write one
     * line): under its class's lock, the chunks in use, the first free chunk (-1: none), the end of the cut part,
     * whether its class lists it as having room, and its class (-1 while free); and its generation, bumped
     * (release) when the page goes to another use and read (acquire) by {@link #copy}.
     */
    private final int[] info;
    private static final int PAGE_INFO = 16;
    private static final int LIVE = 0;
    private static final int FREE_HEAD = 1;
    private static final int CUT_TO = 2;
    private static final int PARTIAL = 3;
    private static final int CLASS = 4;
    private static final int GENERATION = 5;
    /** Each size class in {@link #STRIPES} stripes, each with its own pages and lock: class * STRIPES + stripe. */
    private final SizeClass[] classes = new SizeClass[CLASS_SIZES.length * STRIPES];
    /** Pages that emptied, for any class to take; and how many pages exist. Under {@link #poolLock}. */
    private final IntStack emptyPages = new IntStack();
    private volatile int pageCount;
    private final SpinLock poolLock = new SpinLock();
    private final LongAdder used = new LongAdder();

    /**
     * A stripe of a size class: its chunk size, its pages that have room, and its lock.
     */
    private static final class SizeClass {

        final SpinLock lock = new SpinLock();
        final int index;
        final int chunkSize;
        /** Its pages with room: the last to get room is used first. */
        final IntStack withRoom = new IntStack();

        SizeClass(int index, int chunkSize) {
            this.index = index;
            this.chunkSize = chunkSize;
        }
    }

    /** @param maxBytes the most memory the pages may take, rounded down to whole pages (at least one) */
    Slabs(long maxBytes) {
        this.maxPages = (int) Math.max(1, Math.min(MAX_PAGES, maxBytes >> PAGE_SHIFT));
        this.pages = new ByteBuffer[maxPages];
        this.info = new int[maxPages * PAGE_INFO];
        for (int i = 0; i < classes.length; i++) {
            classes[i] = new SizeClass(i, CLASS_SIZES[i / STRIPES]);
        }
    }

    /** The size of the chunk that holds {@code bytes}: what an entry of that size takes here. */
    static int chunkSize(int bytes) {
        return CLASS_SIZES[classOf(bytes)];
    }

    /** The largest size a chunk can have. */
    static int maxChunkSize() {
        return CLASS_SIZES[CLASS_SIZES.length - 1];
    }

    /**
     * A chunk of at least {@code bytes}, or 0 when every page is in use and the size class has no free chunk (the
     * caller frees some and tries again). Its bytes are the caller's to write until it publishes the reference.
     */
    long allocate(int bytes) {
        int first = classOf(bytes) * STRIPES;
        int stripe = (int) Thread.currentThread().getId();
        for (int i = 0; i < STRIPES; i++) { // the thread's own stripe, then (without a new page) the others
            long chunk = allocate(classes[first + ((stripe + i) & (STRIPES - 1))], i == 0);
            if (chunk != 0) {
                return chunk;
            }
        }
        return 0;
    }

    private long allocate(SizeClass sizeClass, boolean mayTakePage) {
        long chunk;
        sizeClass.lock.lock();
        try {
            chunk = cut(sizeClass);
        }
        finally {
            sizeClass.lock.unlock();
        }
        if (chunk != 0 || !mayTakePage) {
            return chunk;
        }
        int page = takePage(); // with no lock held: it may take memory from the system
        if (page < 0) {
            return 0;
        }
        sizeClass.lock.lock();
        try {
            info[at(page, CLASS)] = sizeClass.index;
            info[at(page, LIVE)] = 0;
            info[at(page, FREE_HEAD)] = -1;
            info[at(page, CUT_TO)] = 0;
            info[at(page, PARTIAL)] = 1;
            sizeClass.withRoom.push(page);
            return cut(sizeClass);
        }
        finally {
            sizeClass.lock.unlock();
        }
    }

    /** A chunk from the stripe's pages with room, or 0; under its lock. */
    private long cut(SizeClass sizeClass) {
        while (!sizeClass.withRoom.isEmpty()) {
            int page = sizeClass.withRoom.peek();
            int offset = info[at(page, FREE_HEAD)];
            if (offset >= 0) {
                info[at(page, FREE_HEAD)] = pages[page].getInt(offset + 4); // the link a free chunk holds
            }
            else if (info[at(page, CUT_TO)] + sizeClass.chunkSize <= PAGE_SIZE) {
                offset = info[at(page, CUT_TO)];
                info[at(page, CUT_TO)] += sizeClass.chunkSize;
            }
            else {
                sizeClass.withRoom.pop(); // full
                info[at(page, PARTIAL)] = 0;
                continue;
            }
            info[at(page, LIVE)]++;
            used.add(sizeClass.chunkSize);
            return reference(page, info[at(page, GENERATION)], offset, pages[page].getInt(offset));
        }
        return 0;
    }

    /** Frees a chunk: readers holding its reference will find it stale. Only its one owner may call this. */
    void free(long reference) {
        int page = page(reference);
        int offset = offset(reference);
        SizeClass sizeClass = classes[info[at(page, CLASS)]];
        sizeClass.lock.lock();
        try {
            ByteBuffer buffer = pages[page];
            // Volatile: the new stamp is visible before anything a next owner writes into the chunk.
            INTS.setVolatile(buffer, offset, buffer.getInt(offset) + 1);
            buffer.putInt(offset + 4, info[at(page, FREE_HEAD)]);
            info[at(page, FREE_HEAD)] = offset;
            used.add(-sizeClass.chunkSize);
            if (--info[at(page, LIVE)] == 0) {
                if (info[at(page, PARTIAL)] != 0) {
                    sizeClass.withRoom.remove(page);
                }
                info[at(page, PARTIAL)] = 0;
                info[at(page, CLASS)] = -1;
                // A new generation before the page is cut anew: every reference into it is stale from now on.
                ARRAY_INTS.setVolatile(info, at(page, GENERATION), info[at(page, GENERATION)] + 1);
                poolLock.lock();
                try {
                    emptyPages.push(page);
                }
                finally {
                    poolLock.unlock();
                }
            }
            else if (info[at(page, PARTIAL)] == 0) {
                info[at(page, PARTIAL)] = 1;
                sizeClass.withRoom.push(page);
            }
        }
        finally {
            sizeClass.lock.unlock();
        }
    }

    /**
     * A copy of the chunk's bytes (as many as its size class holds), or null if the chunk was freed, or its page
     * went to another use, before the copy was complete: then the copy may mix bytes of two owners.
     */
    byte[] copy(long reference) {
        int page = page(reference);
        int offset = offset(reference);
        int sizeClass = info[at(page, CLASS)]; // may be stale too: only the bounds matter, the check below decides
        if (sizeClass < 0) {
            return null; // the page emptied: every chunk in it was freed
        }
        int length = Math.min(CLASS_SIZES[sizeClass / STRIPES], PAGE_SIZE - offset);
        byte[] bytes = new byte[length];
        pages[page].get(offset, bytes);
        return isCurrent(reference) ? bytes : null;
    }

    /** True if the reference's chunk has not been freed; reads made before this call happen before its checks. */
    boolean isCurrent(long reference) {
        VarHandle.acquireFence();
        int page = page(reference);
        return ((int) ARRAY_INTS.getAcquire(info, at(page, GENERATION)) & GENERATION_MASK) == generation(reference)
                && ((int) INTS.getAcquire(pages[page], offset(reference)) & STAMP_MASK) == stamp(reference);
    }

    /** Writes {@code bytes} into the chunk from {@code from} on (its first 4 bytes hold the stamp: not there). */
    void write(long reference, int from, byte[] bytes, int length) {
        pages[page(reference)].put(offset(reference) + from, bytes, from, length - from);
    }

    /** An int of a chunk the caller owns (or reads under the owner's lock). */
    int intAt(long reference, int at) {
        return pages[page(reference)].getInt(offset(reference) + at);
    }

    /** A long of a chunk the caller owns (or reads under the owner's lock). */
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

    /** A page that emptied, or a new one while there may be more; -1 if none. Call it with no lock held. */
    private int takePage() {
        poolLock.lock();
        try {
            if (!emptyPages.isEmpty()) {
                return emptyPages.pop();
            }
            if (pageCount == maxPages) {
                return -1;
            }
        }
        finally {
            poolLock.unlock();
        }
        ByteBuffer buffer;
        try {
            buffer = ByteBuffer.allocateDirect(PAGE_SIZE).order(ByteOrder.nativeOrder());
        }
        catch (OutOfMemoryError ex) { // -XX:MaxDirectMemorySize reached: as good as full
            return -1;
        }
        poolLock.lock();
        try {
            if (pageCount == maxPages) {
                return -1; // others took the last pages meanwhile: this one is left to the collector
            }
            pages[pageCount] = buffer;
            return pageCount++;
        }
        finally {
            poolLock.unlock();
        }
    }

    private static int classOf(int bytes) {
        if (bytes <= FINE_LIMIT) {
            return Math.max(0, (bytes + 7) / 8 - 1);
        }
        int index = Arrays.binarySearch(CLASS_SIZES, bytes);
        if (-index - 1 >= CLASS_SIZES.length) {
            throw new IllegalArgumentException("no chunk holds " + bytes + " bytes");
        }
        return index >= 0 ? index : -index - 1;
    }

    private static int[] classSizes() {
        int[] sizes = new int[256];
        int count = 0;
        for (int size = 8; size <= FINE_LIMIT; size += 8) {
            sizes[count++] = size;
        }
        for (int size = FINE_LIMIT; size < PAGE_SIZE / 2; ) {
            size = (size + size / 16 + 7) & ~7;
            sizes[count++] = size;
        }
        return Arrays.copyOf(sizes, count);
    }

    private static int at(int page, int field) {
        return page * PAGE_INFO + field;
    }

    private static long reference(int page, int generation, int offset, int stamp) {
        return (long) (page + 1) << (STAMP_BITS + OFFSET_BITS + GENERATION_BITS)
                | (generation & GENERATION_MASK) << (STAMP_BITS + OFFSET_BITS)
                | (long) (offset >>> 3) << STAMP_BITS
                | stamp & STAMP_MASK;
    }

    private static int page(long reference) {
        return (int) (reference >>> (STAMP_BITS + OFFSET_BITS + GENERATION_BITS)) - 1;
    }

    private static int generation(long reference) {
        return (int) ((reference >>> (STAMP_BITS + OFFSET_BITS)) & GENERATION_MASK);
    }

    private static int offset(long reference) {
        return (int) ((reference >>> STAMP_BITS) & OFFSET_MASK) << 3;
    }

    private static long stamp(long reference) {
        return reference & STAMP_MASK;
    }

    /**
     * A lock for the few dozen nanoseconds the slabs' bookkeeping takes: a monitor's parking cost more than the work
     * when two threads put values of one size (JMH, 2 threads: 1.2 puts/µs against 3.0). Its holder must never
     * block while holding it: a virtual thread that blocks is unmounted, and spinners would keep the carriers it
     * needs to go on (a fill hung so while a page was taken from the system under a lock; it no longer is). Padded
     * to a cache line of its own.
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

    /**
     * A growable stack of ints, padded: each stripe's stack is written by its own threads, and must not share a
     * cache line with another's.
     */
    private static final class IntStack {

        long p1, p2, p3, p4, p5, p6, p7;
        private int[] items = new int[16];
        private int size;
        long q1, q2, q3, q4, q5, q6, q7;

        boolean isEmpty() {
            return size == 0;
        }

        void push(int item) {
            if (size == items.length) {
                items = Arrays.copyOf(items, size * 2);
            }
            items[size++] = item;
        }

        int peek() {
            return items[size - 1];
        }

        int pop() {
            return items[--size];
        }

        void remove(int item) {
            for (int i = size - 1; i >= 0; i--) {
                if (items[i] == item) {
                    System.arraycopy(items, i + 1, items, i, size - i - 1);
                    size--;
                    return;
                }
            }
        }
    }
}
