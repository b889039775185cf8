package dev.kvcache.local.index;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

import com.google.errorprone.annotations.concurrent.GuardedBy;

/**
 * Where each entry of the local store is: a hash table off the heap from a key's hash to its entry's {@link Slot}
 * (segment, offset, tag, read count), holding no Java object per entry, so the collector never scans it and a write
 * to it dirties no card.
 *
 * <h2>Layout</h2>
 * Segcache's bulk-chaining table (Yang et al., NSDI '21; pelikan's {@code seg/src/hashtable}): buckets of one cache
 * line, 8 words, of which 7 are slots and the last the link to the next bucket of the chain.
 * <pre>
 * bucket = slot[7] link          64 bytes
 * link   = version:u32 next:u32  next = the next bucket's number + 1, 0 for none; version in primary buckets only
 * </pre>
 * The key's hash picks a primary bucket (its low 32 bits); when a chain's slots are all taken, an overflow bucket is
 * linked to its end. Overflow buckets come from pages the store hands over ({@link Pages}: a segment's memory), so
 * the index grows with the entries and its memory is counted in the same budget as theirs; a bucket emptied is
 * given back to a free list. Slots of a chain are kept contiguous from its start (a removal moves the chain's last
 * slot into the hole), so the first empty slot ends the chain.
 *
 * <h2>Concurrency</h2>
 * A primary bucket's link word is also its chain's lock and sequence lock. A writer (put, remove, move) sets the
 * version odd with a compare-and-set, changes the chain and makes it even again (release). A reader ({@link #find},
 * {@link #at}) takes no lock: it reads the version, walks the chain, reads what it needs of the entries, and
 * starts again if the version changed meanwhile; so a reader never acts on a slot that was moved, removed or
 * reused under it. Entries are never removed from a segment while a slot names them (the store removes the slot
 * first, under this lock), so an unchanged version also means the entry it read is the one the slot names. Readers
 * may count a read on a slot with a compare-and-set of its frequency bits ({@link #countRead}), which a concurrent
 * writer may lose: a read count is a hint.
 *
 * <p>No writer takes another lock, or memory from {@link Pages}, while it holds a chain's lock: a put that needs an
 * overflow bucket and finds none free lets go, takes a page, and starts again.
 */
public final class KeyIndex {

    /** Slots in a bucket. */
    public static final int SLOTS = 7;
    public static final int BUCKET_BYTES = 64;
    private static final int LINK = SLOTS * 8;
    private static final long VERSION_ONE = 1L << 32;
    private static final long NEXT_MASK = 0xFFFF_FFFFL;
    /** Buckets a read section follows before it gives up (a chain read mid-change can point anywhere). */
    private static final int MAX_HOPS = 1 << 16;
    /** The most primary buckets: one direct buffer of at most 1 GiB. */
    static final int MAX_BUCKETS = 1 << 24;

    private static final VarHandle WORDS = MethodHandles.byteBufferViewVarHandle(long[].class,
            ByteOrder.nativeOrder());

    /** Where the index takes memory for overflow buckets. */
    public interface Pages {

        /**
         * A page of {@code pageSize} bytes that is the index's from now on (its content does not matter), or null if
         * none can be had.
         */
        ByteBuffer take();
    }

    /** Tells whether the entry a slot names holds a key; called under the chain's lock, where it is stable. */
    public interface Keys {

        boolean hasKey(long word, byte[] packedKey);
    }

    /**
     * Looks at the entry a candidate slot names, inside a read section: what it reads may be torn or stale, so it
     * must not throw on nonsense, and it is believed only if {@link #find} returns its slot.
     */
    public interface Probe {

        /** True if the slot's entry is the one sought. */
        boolean test(long word);
    }

    private final ByteBuffer primary;
    private final int buckets;
    private final Pages pages;
    private final int pageSize;
    private final int perPage;
    /** Overflow pages: copied when one is added, so readers see a whole array. */
    private volatile ByteBuffer[] overflow = new ByteBuffer[0];
    @GuardedBy("this")
    private int[] free = new int[64];
    @GuardedBy("this")
    private int freeCount;
    private final LongAdder size = new LongAdder();

    /**
     * @param primaryBytes about how much memory the primary buckets take (at least 16 buckets)
     * @param pageSize the size of the pages {@code pages} hands over
     * @param pages where overflow buckets come from
     */
    public KeyIndex(long primaryBytes, int pageSize, Pages pages) {
        this.buckets = (int) Math.max(16, Math.min(MAX_BUCKETS, primaryBytes / BUCKET_BYTES));
        this.primary = ByteBuffer.allocateDirect(buckets * BUCKET_BYTES).order(ByteOrder.nativeOrder());
        this.pages = pages;
        this.pageSize = pageSize;
        this.perPage = pageSize / BUCKET_BYTES;
        if (perPage < 1) {
            throw new IllegalArgumentException("pages of " + pageSize + " bytes hold no bucket");
        }
    }

    /** Slots in use: the entries indexed. */
    public long size() {
        return size.sum();
    }

    /** Memory the index takes: the primary buckets and the overflow pages. */
    public long bytes() {
        return (long) buckets * BUCKET_BYTES + (long) overflow.length * pageSize;
    }

    /** Bytes of the primary buckets alone. */
    public long primaryBytes() {
        return (long) buckets * BUCKET_BYTES;
    }

    /** Overflow pages taken so far. */
    public int pageCount() {
        return overflow.length;
    }

    // Readers ------------------------------------------------------------------------------------------------

    /**
     * The slot whose entry the probe accepts, among those with the hash's tag, or 0; lock-free. What the probe read
     * of the entry it accepted is consistent: the chain did not change while it read.
     */
    public long find(long hash, Probe probe) {
        int bucket = bucket(hash);
        int tag = Slot.tag(hash);
        while (true) {
            int version = beginRead(bucket);
            long found = 0;
            int ref = bucket;
            scan:
            for (int hops = 0; hops < MAX_HOPS; hops++) {
                ByteBuffer buffer = buffer(ref);
                if (buffer == null) {
                    break; // a link read mid-change: the version check below fails
                }
                int base = base(ref);
                for (int i = 0; i < SLOTS; i++) {
                    long word = (long) WORDS.getAcquire(buffer, base + i * 8);
                    if (word == 0) {
                        break scan;
                    }
                    if (Slot.hasTag(word, tag) && probe.test(word)) {
                        found = word;
                        break scan;
                    }
                }
                ref = next(buffer, base);
                if (ref < 0) {
                    break;
                }
            }
            if (validate(bucket, version)) {
                return found;
            }
        }
    }

    /** The slot that names this place now, or 0; lock-free. */
    public long at(long hash, long place) {
        int bucket = bucket(hash);
        while (true) {
            int version = beginRead(bucket);
            long found = 0;
            int ref = bucket;
            scan:
            for (int hops = 0; hops < MAX_HOPS; hops++) {
                ByteBuffer buffer = buffer(ref);
                if (buffer == null) {
                    break;
                }
                int base = base(ref);
                for (int i = 0; i < SLOTS; i++) {
                    long word = (long) WORDS.getAcquire(buffer, base + i * 8);
                    if (word == 0) {
                        break scan;
                    }
                    if (Slot.place(word) == place) {
                        found = word;
                        break scan;
                    }
                }
                ref = next(buffer, base);
                if (ref < 0) {
                    break;
                }
            }
            if (validate(bucket, version)) {
                return found;
            }
        }
    }

    /**
     * Counts a read of the entry this slot names, up to {@link Slot#MAX_FREQUENCY}, unless the slot changed
     * meanwhile; lock-free, and a concurrent writer may lose it.
     */
    public void countRead(long hash, long word) {
        int frequency = Slot.frequency(word);
        if (frequency >= Slot.MAX_FREQUENCY) {
            return; // a hot entry's line is not written on every read
        }
        int ref = bucket(hash);
        for (int hops = 0; hops < MAX_HOPS && ref >= 0; hops++) {
            ByteBuffer buffer = buffer(ref);
            if (buffer == null) {
                return;
            }
            int base = base(ref);
            for (int i = 0; i < SLOTS; i++) {
                int at = base + i * 8;
                long current = (long) WORDS.getAcquire(buffer, at);
                if (current == 0) {
                    return;
                }
                if (current == word) {
                    WORDS.compareAndSet(buffer, at, word, Slot.withFrequency(word, frequency + 1));
                    return;
                }
            }
            ref = next(buffer, base);
        }
    }

    // Writers ------------------------------------------------------------------------------------------------

    /**
     * Files {@code word} under the key: replaces the key's slot if it has one (found by tag, then by
     * {@code keys}), else adds one. Returns the slot replaced, or 0.
     */
    public long put(long hash, byte[] packedKey, long word, Keys keys) {
        return put(hash, packedKey, word, keys, true);
    }

    /** Adds {@code word} under the key unless the key has a slot; returns that slot (left as it is), or 0. */
    public long putIfAbsent(long hash, byte[] packedKey, long word, Keys keys) {
        return put(hash, packedKey, word, keys, false);
    }

    private long put(long hash, byte[] packedKey, long word, Keys keys, boolean replace) {
        int bucket = bucket(hash);
        int tag = Slot.tag(hash);
        while (true) {
            lock(bucket);
            try {
                int ref = bucket;
                while (true) {
                    ByteBuffer buffer = buffer(ref);
                    int base = base(ref);
                    for (int i = 0; i < SLOTS; i++) {
                        int at = base + i * 8;
                        long current = (long) WORDS.getVolatile(buffer, at);
                        if (current == 0) {
                            WORDS.setRelease(buffer, at, word);
                            size.increment();
                            return 0;
                        }
                        if (Slot.hasTag(current, tag) && keys.hasKey(current, packedKey)) {
                            if (replace) {
                                WORDS.setRelease(buffer, at, word);
                            }
                            return current;
                        }
                    }
                    int next = next(buffer, base);
                    if (next < 0) {
                        break;
                    }
                    ref = next;
                }
                int fresh = takeFree();
                if (fresh >= 0) {
                    WORDS.setRelease(buffer(fresh), base(fresh), word);
                    setNext(ref, fresh);
                    size.increment();
                    return 0;
                }
            }
            finally {
                unlock(bucket);
            }
            grow();
        }
    }

    /** Removes the key's slot; returns it, or 0 if the key has none. */
    public long remove(long hash, byte[] packedKey, Keys keys) {
        int tag = Slot.tag(hash);
        return removeWhere(hash, word -> Slot.hasTag(word, tag) && keys.hasKey(word, packedKey));
    }

    /** Removes the slot that names this place; returns it, or 0 if none does. */
    public long removeAt(long hash, long place) {
        return removeWhere(hash, word -> Slot.place(word) == place);
    }

    /**
     * Points the slot that names {@code from} at {@code to}, with this read count: the entry was copied there.
     * Returns false if no slot names {@code from} (the entry was replaced or removed meanwhile).
     */
    public boolean move(long hash, long from, long to, int frequency) {
        int bucket = bucket(hash);
        lock(bucket);
        try {
            for (int ref = bucket; ref >= 0; ) {
                ByteBuffer buffer = buffer(ref);
                int base = base(ref);
                for (int i = 0; i < SLOTS; i++) {
                    int at = base + i * 8;
                    long current = (long) WORDS.getVolatile(buffer, at);
                    if (current == 0) {
                        return false;
                    }
                    if (Slot.place(current) == from) {
                        WORDS.setRelease(buffer, at, Slot.withFrequency(current & ~Slot.place(current) | to,
                                frequency));
                        return true;
                    }
                }
                ref = next(buffer, base);
            }
            return false;
        }
        finally {
            unlock(bucket);
        }
    }

    /** A slot test, for {@link #removeWhere}. */
    private interface Match {

        boolean matches(long word);
    }

    /** Removes the first slot that matches, keeping the chain contiguous; returns it, or 0. */
    private long removeWhere(long hash, Match match) {
        int bucket = bucket(hash);
        lock(bucket);
        try {
            int targetRef = -1;
            int targetIndex = -1;
            long removed = 0;
            int lastRef = bucket;
            int lastIndex = -1;
            int lastPrevious = -1;
            int previous = -1;
            scan:
            for (int ref = bucket; ref >= 0; ) {
                ByteBuffer buffer = buffer(ref);
                int base = base(ref);
                for (int i = 0; i < SLOTS; i++) {
                    long word = (long) WORDS.getVolatile(buffer, base + i * 8);
                    if (word == 0) {
                        break scan;
                    }
                    if (targetRef < 0 && match.matches(word)) {
                        targetRef = ref;
                        targetIndex = i;
                        removed = word;
                    }
                    lastRef = ref;
                    lastIndex = i;
                    lastPrevious = previous;
                }
                previous = ref;
                ref = next(buffer, base);
            }
            if (targetRef < 0) {
                return 0;
            }
            ByteBuffer last = buffer(lastRef);
            int lastAt = base(lastRef) + lastIndex * 8;
            if (lastRef != targetRef || lastIndex != targetIndex) {
                WORDS.setRelease(buffer(targetRef), base(targetRef) + targetIndex * 8,
                        (long) WORDS.getVolatile(last, lastAt));
            }
            WORDS.setRelease(last, lastAt, 0L);
            if (lastIndex == 0 && lastRef != bucket) { // an overflow bucket emptied: unlink it, give it back
                setNext(lastPrevious, -1);
                release(lastRef);
            }
            size.decrement();
            return removed;
        }
        finally {
            unlock(bucket);
        }
    }

    // Chains, locks and buckets -------------------------------------------------------------------------------

    /** The primary bucket of a hash. */
    int bucket(long hash) {
        return (int) (((hash & 0xFFFF_FFFFL) * buckets) >>> 32);
    }

    private ByteBuffer buffer(int ref) {
        if (ref < buckets) {
            return ref >= 0 ? primary : null;
        }
        ByteBuffer[] pagesNow = overflow;
        int page = (ref - buckets) / perPage;
        return page < pagesNow.length ? pagesNow[page] : null;
    }

    private int base(int ref) {
        return ref < buckets ? ref * BUCKET_BYTES : (ref - buckets) % perPage * BUCKET_BYTES;
    }

    /** The bucket after this one in its chain, or -1. */
    private static int next(ByteBuffer buffer, int base) {
        return (int) ((long) WORDS.getAcquire(buffer, base + LINK) & NEXT_MASK) - 1;
    }

    /** Links {@code next} (or nothing, -1) after {@code ref}; under the chain's lock, keeping a primary's version. */
    private void setNext(int ref, int next) {
        ByteBuffer buffer = buffer(ref);
        int at = base(ref) + LINK;
        long link = (long) WORDS.getVolatile(buffer, at);
        WORDS.setRelease(buffer, at, link & ~NEXT_MASK | (next + 1L));
    }

    private int beginRead(int bucket) {
        for (int spins = 0; ; spins++) {
            int version = (int) ((long) WORDS.getAcquire(primary, bucket * BUCKET_BYTES + LINK) >>> 32);
            if ((version & 1) == 0) {
                return version;
            }
            backOff(spins);
        }
    }

    private boolean validate(int bucket, int version) {
        VarHandle.acquireFence();
        return (int) ((long) WORDS.getAcquire(primary, bucket * BUCKET_BYTES + LINK) >>> 32) == version;
    }

    private void lock(int bucket) {
        int at = bucket * BUCKET_BYTES + LINK;
        for (int spins = 0; ; spins++) {
            long link = (long) WORDS.getVolatile(primary, at);
            if ((link & VERSION_ONE) == 0 && WORDS.compareAndSet(primary, at, link, link + VERSION_ONE)) {
                return;
            }
            backOff(spins);
        }
    }

    private void unlock(int bucket) {
        int at = bucket * BUCKET_BYTES + LINK;
        WORDS.setRelease(primary, at, (long) WORDS.getVolatile(primary, at) + VERSION_ONE);
    }

    /**
     * Spins, then yields: a lock is held for a few dozen nanoseconds, but its holder may have lost its core (a
     * virtual thread's carrier, or the machine's other work).
     */
    private static void backOff(int spins) {
        if (spins < 100) {
            Thread.onSpinWait();
        }
        else {
            Thread.yield();
        }
    }

    /** A free overflow bucket (zeroed), or -1. */
    private synchronized int takeFree() {
        return freeCount == 0 ? -1 : free[--freeCount];
    }

    /** Zeroes an overflow bucket taken out of its chain and gives it back; readers still in it fail their check. */
    private void release(int ref) {
        ByteBuffer buffer = buffer(ref);
        int base = base(ref);
        for (int i = 0; i < 8; i++) {
            WORDS.setRelease(buffer, base + i * 8, 0L);
        }
        synchronized (this) {
            if (freeCount == free.length) {
                free = Arrays.copyOf(free, freeCount * 2);
            }
            free[freeCount++] = ref;
        }
    }

    /** Adds a page of overflow buckets; with no lock held, as taking a page may make the store evict. */
    private void grow() {
        synchronized (this) {
            if (freeCount > 0) {
                return; // another put added a page, or buckets were freed, meanwhile
            }
        }
        ByteBuffer page = pages.take();
        if (page == null) {
            throw new IllegalStateException("no memory left for the index's overflow buckets");
        }
        page = page.duplicate().order(ByteOrder.nativeOrder());
        for (int at = 0; at + 8 <= perPage * BUCKET_BYTES; at += 8) {
            page.putLong(at, 0L);
        }
        synchronized (this) {
            ByteBuffer[] pagesNow = overflow;
            int first = buckets + pagesNow.length * perPage;
            if ((long) first + perPage > Integer.MAX_VALUE - 1) {
                throw new IllegalStateException("the index cannot address more overflow buckets");
            }
            ByteBuffer[] more = Arrays.copyOf(pagesNow, pagesNow.length + 1);
            more[pagesNow.length] = page;
            if (free.length < freeCount + perPage) {
                free = Arrays.copyOf(free, Math.max(free.length * 2, freeCount + perPage));
            }
            for (int i = perPage - 1; i >= 0; i--) { // the page's first bucket is handed out first
                free[freeCount++] = first + i;
            }
            overflow = more; // published after its buckets are zeroed
        }
    }
}
