package dev.kvcache.gatling;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What the simulation knows of each key of its pool, so that a 404 is accepted only where the workload explains
 * it: a delete of the key that may have come after its last put, or the put's ttl having passed. Anything else
 * is a lost entry, and fails the request; with no deletes and no ttl, every 404 does.
 *
 * <p>A put that answered 200 <em>confirms</em> the key, unless a delete of it may have taken effect after the
 * put did: one still in flight when the put answered, or one that answered after the put was sent. A
 * confirmation notes how many deletes of the key had been sent so far, and until when the entry lives. A 404
 * is explained if a delete was sent after the latest confirmation seen before the request, or if the entry's
 * time is up. Requests of all users share this object: every field is atomic, and the order in which they are
 * read and written below is what makes the reasoning hold.
 */
final class KeyHistory {

    /** Orders events across users: a put's send, a delete's answer. */
    private final AtomicLong clock = new AtomicLong();
    private final AtomicLongArray deletesSent;
    private final AtomicLongArray deletesInFlight;
    /** Clock of the latest answer to a delete of the key. */
    private final AtomicLongArray lastDeleteAnswered;
    /** Deletes sent before the latest confirmation; -1 while the key has never been confirmed. */
    private final AtomicLongArray confirmedAfterDeletes;
    /** System.nanoTime() until which the latest confirmed put surely lives. */
    private final AtomicLongArray confirmedUntil;
    private final long ttlNanos;

    /** A key's latest confirmation as seen before a request. */
    record Confirmation(long afterDeletes, long untilNanos) {
    }

    /**
     * @param keys size of the key pool
     * @param ttlSeconds the ttl every put sends, or null when puts send none (the server's kvcache.ttl is
     *     taken as longer than the run)
     */
    KeyHistory(int keys, Integer ttlSeconds) {
        this.deletesSent = new AtomicLongArray(keys);
        this.deletesInFlight = new AtomicLongArray(keys);
        this.lastDeleteAnswered = new AtomicLongArray(keys);
        this.confirmedAfterDeletes = new AtomicLongArray(keys);
        this.confirmedUntil = new AtomicLongArray(keys);
        this.ttlNanos = ttlSeconds == null ? Long.MAX_VALUE : TimeUnit.SECONDS.toNanos(ttlSeconds);
        for (int key = 0; key < keys; key++) {
            confirmedAfterDeletes.set(key, -1);
        }
    }

    /** Called just before a put is sent; the ticket goes to {@link #putStored}. */
    long putSending(int key) {
        return clock.incrementAndGet();
    }

    /** A put sent with this ticket at {@code sentNanos} answered 200. */
    void putStored(int key, long ticket, long sentNanos) {
        long deletes = deletesSent.get(key); // first: a delete counted here is either seen in flight or answered
        if (deletesInFlight.get(key) == 0 && lastDeleteAnswered.get(key) < ticket) {
            confirmedAfterDeletes.accumulateAndGet(key, deletes, Math::max);
            long until = ttlNanos == Long.MAX_VALUE ? Long.MAX_VALUE : sentNanos + ttlNanos;
            confirmedUntil.accumulateAndGet(key, until, Math::max);
        }
    }

    /** Read just before a get or a delete is sent. */
    Confirmation confirmation(int key) {
        return new Confirmation(confirmedAfterDeletes.get(key), confirmedUntil.get(key));
    }

    /** Called just before a delete is sent. */
    void deleteSending(int key) {
        deletesInFlight.incrementAndGet(key); // first: see putStored
        deletesSent.incrementAndGet(key);
    }

    /** Called once a delete is over, whatever its answer. */
    void deleteAnswered(int key) {
        lastDeleteAnswered.accumulateAndGet(key, clock.incrementAndGet(), Math::max);
        deletesInFlight.decrementAndGet(key);
    }

    /**
     * Whether a 404 to a request on the key is explained: the key was never confirmed, another delete was sent
     * since its confirmation ({@code ownDeletes} is 1 for a delete's own 404), or its time is up.
     */
    boolean missExplained(int key, Confirmation before, int ownDeletes) {
        return before.afterDeletes() < 0
                || deletesSent.get(key) - ownDeletes > before.afterDeletes()
                || before.untilNanos() != Long.MAX_VALUE && System.nanoTime() - before.untilNanos() >= 0;
    }
}
