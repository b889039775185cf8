package dev.kvcache.gatling;

import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.exec;

import java.util.concurrent.atomic.AtomicLong;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.Session;

/**
 * The indexes {@code from, from + 1, ..., to - 1}, shared by all the virtual users of a scenario: each index is
 * handed to exactly one user, whichever asks first, so N users together do each item of work exactly once and
 * in about the order of the indexes. (A queue feeder would stop the whole simulation when it runs dry, which
 * is fine for one scenario but not for one phase of several.)
 */
final class SharedWorkList {

    private final AtomicLong next;
    private final long end;

    SharedWorkList(long from, long to) {
        this.next = new AtomicLong(from);
        this.end = to;
    }

    /** A loop that puts the next unclaimed index in the session under {@code attribute} and runs {@code body}. */
    ChainBuilder forEachIndex(String attribute, ChainBuilder body) {
        ChainBuilder claim = exec(session -> claimInto(session, attribute));
        return exec(claim).exec(asLongAs(session -> session.contains(attribute)).on(exec(body, claim)));
    }

    private Session claimInto(Session session, String attribute) {
        long index = next.getAndIncrement();
        return index < end ? session.set(attribute, index) : session.remove(attribute);
    }
}
