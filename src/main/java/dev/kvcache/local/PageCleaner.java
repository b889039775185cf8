package dev.kvcache.local;

import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Takes back the room of freed chunks when every {@link Slabs} page is in use: empties the page with the most
 * freed room by moving its live chunks to a page of their own, as memcached's slab rebalancer rescues the items
 * of a page it moves ({@code slabs.c}, {@code slab_rebalance_move}). Nothing is evicted: each chunk's owner is
 * found by the key in it, and the owner's entry is moved to an identical copy ({@link IndexEntry#move}); a chunk whose
 * owner cannot be found (a put on its way in) stays, and its page is passed over for a while.
 *
 * <p>Pages of moved chunks hold what outlived a page's other chunks; new writes fill pages of their own, which
 * empty together as their entries are evicted in turn. So a cache that evicts its oldest entries first seldom
 * moves anything, and the cost follows how scattered the freed room is.
 */
final class PageCleaner {

    /** Finds the entry that owns a chunk, from a copy of it. */
    interface Owners {

        /** The entry whose chunk this is now, or null if none holds it (on its way in or out). */
        IndexEntry ownerOf(byte[] copy, long chunk);
    }

    /** Pages one call tries before it gives up: their chunks were all on their way in. */
    private static final int ATTEMPTS = 4;

    private final Slabs slabs;
    private final Owners owners;
    /** One cleaner at a time; others wait for its page rather than empty another. */
    private final ReentrantLock lock = new ReentrantLock();
    private final LongAdder moved = new LongAdder();

    PageCleaner(Slabs slabs, Owners owners) {
        this.slabs = slabs;
        this.owners = owners;
    }

    /**
     * Empties a page for a put whose allocation failed: true if a page went back to the pool (by this call or by
     * another thread's meanwhile), false if no page has enough freed room to be worth it.
     */
    boolean reclaim() {
        if (!lock.tryLock()) {
            lock.lock(); // another thread is emptying a page: the allocation is worth another try after it
            lock.unlock();
            return true;
        }
        try {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                int page = slabs.takeVictim();
                if (page < 0) {
                    return false;
                }
                boolean[] roomToMove = { true };
                slabs.forEachLive(page, chunk -> roomToMove[0] = move(chunk));
                if (!slabs.release(page)) {
                    return true; // emptied and recycled
                }
                if (!roomToMove[0]) {
                    return false;
                }
            }
            return false;
        }
        finally {
            lock.unlock();
        }
    }

    /** Chunks moved so far. */
    long movedCount() {
        return moved.sum();
    }

    /** Moves one live chunk; false if there was no room for its copy. */
    private boolean move(long chunk) {
        byte[] copy = slabs.copy(chunk);
        if (copy == null) {
            return true; // freed meanwhile
        }
        IndexEntry owner = owners.ownerOf(copy, chunk);
        if (owner == null) {
            return true;
        }
        long to = slabs.allocateForMove(copy.length);
        if (to == 0) {
            return false;
        }
        slabs.write(to, Slabs.HEADER, copy, copy.length);
        if (owner.move(chunk, to)) {
            slabs.free(chunk);
            moved.increment();
        }
        else {
            slabs.free(to); // the owner replaced or took it first: the old chunk is the owner's to free
        }
        return true;
    }
}
