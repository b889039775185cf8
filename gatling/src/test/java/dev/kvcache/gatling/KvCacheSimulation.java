package dev.kvcache.gatling;

import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.doIfOrElse;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.rampConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.gatling.javaapi.core.Assertion;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ClosedInjectionStep;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;

/**
 * The standard workload of a key-value cache: a pool of random UUID keys, values of {@code valueLength}
 * printable-ASCII characters (quotes, backslashes, tabs, newlines and {@code < > &} included).
 *
 * <ol>
 *   <li>Warm-up: every key is put once, so that afterwards every GET must hit.</li>
 *   <li>Workload: a closed model of {@code users} virtual users with zero think time, ramped up over
 *       {@code ramp} seconds and then held for {@code duration} seconds; each sends {@code putRatio} of its
 *       requests as {@code POST /put}, {@code deleteRatio} as {@code DELETE /delete} and the rest as
 *       {@code GET /get}, on random keys. With {@code -Dttl=<seconds>} every put gives the entry that ttl.</li>
 * </ol>
 *
 * Every put must answer 200 with the documented body; every get 200 with the key and one of the values the
 * simulation puts (another user may have overwritten the key in between, so the exact value is unknowable);
 * every delete 200 with its documented body. A 404 (with its documented body) passes only where the workload
 * explains it, as {@link KeyHistory} tells: a delete of the key that may have come after its last put, or the
 * ttl of that put having passed. Without deletes and ttl every 404 is a miss and fails. Assertions: no failed
 * request at all, and the workload's p99 of each of put, get and delete at most {@code p99Ms}.
 *
 * <p>The server's budget must hold every key with room to spare (10,000 UUID keys with 256-character values
 * take about 4.5 MB), and it should not already be full of other entries, say after {@link EvictionSimulation}:
 * Caffeine would then admit few of the new keys, and the GETs would rightly miss.
 */
public class KvCacheSimulation extends Simulation {

    private final String baseUrl = Settings.string("baseUrl", "http://localhost:7171");
    private final int users = Settings.integer("users", 64, 4);
    private final int durationSeconds = Settings.integer("duration", 60, 5);
    private final int rampSeconds = Settings.integer("ramp", 5, 1);
    private final int keyCount = Settings.integer("keys", 10_000, 500);
    private final int valueLength = Settings.integer("valueLength", 256, 256);
    private final double putRatio = Settings.decimal("putRatio", 0.5, 0.5);
    // Smoke runs delete too, so that CI exercises the delete path and its checks.
    private final double deleteRatio = Settings.decimal("deleteRatio", 0, 0.1);
    private final Integer ttl = Settings.optionalInteger("ttl");
    // Smoke runs on a cold server sharing 2 cores with Gatling: its p99 only has to be sane, not fast.
    private final int p99Ms = Settings.integer("p99Ms", 100, 1000);

    /** Random per run, so that a run never reads what an earlier run against the same server wrote. */
    private final List<String> keys = randomUuids(keyCount);
    private final ValuePool values = new ValuePool(ValuePool.DEFAULT_SIZE, valueLength);
    private final KeyHistory history = new KeyHistory(keyCount, ttl);

    private static final String KEY_INDEX = "keyIndex";
    private static final String DRAW = "draw";
    private static final String PUT_TICKET = "putTicket";
    private static final String PUT_SENT = "putSentNanos";
    private static final String CONFIRMATION = "confirmation";

    /** Set when the first workload user starts, to ramp plus duration later: every workload user loops until then. */
    private final AtomicLong workloadDeadlineNanos = new AtomicLong();

    {
        Settings.require(users > 0, "-Dusers must be at least 1");
        Settings.require(durationSeconds > 0, "-Dduration must be at least 1 second");
        Settings.require(rampSeconds >= 0, "-Dramp must not be negative");
        Settings.require(keyCount > 0, "-Dkeys must be at least 1");
        Settings.require(valueLength >= 0, "-DvalueLength must not be negative");
        Settings.require(putRatio >= 0 && putRatio <= 1, "-DputRatio must be between 0 and 1");
        Settings.require(deleteRatio >= 0 && putRatio + deleteRatio <= 1,
                "-DdeleteRatio must be between 0 and 1 - putRatio");
        Settings.require(ttl == null || ttl >= 1, "-Dttl must be at least 1 second");
        System.out.printf("KvCacheSimulation: baseUrl=%s users=%d duration=%ds ramp=%ds keys=%d valueLength=%d"
                        + " putRatio=%s deleteRatio=%s ttl=%s p99Ms=%d smoke=%s%n", baseUrl, users, durationSeconds,
                rampSeconds, keyCount, valueLength, putRatio, deleteRatio, ttl == null ? "none" : ttl + "s", p99Ms,
                Settings.SMOKE);

        // The warm-up shares the keys out among as many users as the workload has, each putting until none is left.
        SharedWorkList warmUpKeys = new SharedWorkList(0, keyCount);
        ScenarioBuilder warmUp = scenario("Warm-up: put every key once").exec(warmUpKeys.forEachIndex("warmUpIndex",
                exec(this::pickKeyFromIndex).exec(put("warm-up put"))));

        ScenarioBuilder workload = scenario("Workload").exec(
                asLongAs(session -> beforeWorkloadDeadline()).on(
                        exec(this::pickRandomKeyAndValue),
                        doIfOrElse(session -> session.getDouble(DRAW) < putRatio)
                                .then(put("put"))
                                .orElse(doIfOrElse(session -> session.getDouble(DRAW) < putRatio + deleteRatio)
                                        .then(delete("delete"))
                                        .orElse(get("get")))));

        setUp(warmUp.injectOpen(atOnceUsers(Math.min(users, keyCount)))
                .andThen(workload.injectClosed(workloadInjection())))
                .protocols(KvCacheApi.protocol(baseUrl))
                .assertions(assertions());
    }

    /**
     * Closed model: Gatling keeps {@code users} users alive, and each loops until the deadline, so each keeps
     * its one keep-alive connection for the whole run (a user per request would measure TCP connects).
     */
    private ClosedInjectionStep[] workloadInjection() {
        ClosedInjectionStep hold = constantConcurrentUsers(users).during(durationSeconds);
        return rampSeconds == 0
                ? new ClosedInjectionStep[] {hold}
                : new ClosedInjectionStep[] {rampConcurrentUsers(0).to(users).during(rampSeconds), hold};
    }

    private List<Assertion> assertions() {
        List<Assertion> assertions = new ArrayList<>();
        assertions.add(global().failedRequests().count().is(0L));
        // The bound is on the workload's requests; the warm-up runs on a cold JIT and is not what is measured.
        if (putRatio > 0) {
            assertions.add(details("put").responseTime().percentile(99).lte(p99Ms));
        }
        if (deleteRatio > 0) {
            assertions.add(details("delete").responseTime().percentile(99).lte(p99Ms));
        }
        if (putRatio + deleteRatio < 1) {
            assertions.add(details("get").responseTime().percentile(99).lte(p99Ms));
        }
        return assertions;
    }

    /** A put of the session's key and value; one that answers 200 confirms the key in the history. */
    private ChainBuilder put(String requestName) {
        return exec(session -> session.remove(KvCacheApi.PUT_STATUS)
                .set(PUT_TICKET, history.putSending(session.getInt(KEY_INDEX)))
                .set(PUT_SENT, System.nanoTime()))
                .exec(KvCacheApi.put(requestName, values, ttl))
                .exec(session -> {
                    if (session.contains(KvCacheApi.PUT_STATUS)) {
                        history.putStored(session.getInt(KEY_INDEX), session.getLong(PUT_TICKET),
                                session.getLong(PUT_SENT));
                    }
                    return session;
                });
    }

    /** A get of the session's key; a 404 passes only if the history explains it. */
    private ChainBuilder get(String requestName) {
        return exec(session -> session.set(CONFIRMATION, history.confirmation(session.getInt(KEY_INDEX))))
                .exec(KvCacheApi.getOrMissing(requestName, KvCacheApi.valueInPool(values),
                        session -> history.missExplained(session.getInt(KEY_INDEX), session.get(CONFIRMATION), 0)));
    }

    /** A delete of the session's key, noted in the history before it is sent and once it is over. */
    private ChainBuilder delete(String requestName) {
        return exec(session -> {
            int key = session.getInt(KEY_INDEX);
            KeyHistory.Confirmation before = history.confirmation(key); // before this delete counts
            history.deleteSending(key);
            return session.set(CONFIRMATION, before);
        })
                .exec(KvCacheApi.delete(requestName,
                        session -> history.missExplained(session.getInt(KEY_INDEX), session.get(CONFIRMATION), 1)))
                .exec(session -> {
                    history.deleteAnswered(session.getInt(KEY_INDEX));
                    return session;
                });
    }

    private boolean beforeWorkloadDeadline() {
        long deadline = workloadDeadlineNanos.get();
        if (deadline == 0) {
            long workloadNanos = TimeUnit.SECONDS.toNanos(rampSeconds + durationSeconds);
            workloadDeadlineNanos.compareAndSet(0, System.nanoTime() + workloadNanos);
            deadline = workloadDeadlineNanos.get();
        }
        return System.nanoTime() < deadline;
    }

    private Session pickKeyFromIndex(Session session) {
        int key = (int) session.getLong("warmUpIndex");
        return session.set(KEY_INDEX, key).set(KvCacheApi.KEY, keys.get(key))
                .set(KvCacheApi.VALUE_INDEX, ThreadLocalRandom.current().nextInt(values.size()));
    }

    /** A random key and value, and the draw that chooses between put, delete and get. */
    private Session pickRandomKeyAndValue(Session session) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int key = random.nextInt(keys.size());
        return session.set(KEY_INDEX, key).set(KvCacheApi.KEY, keys.get(key))
                .set(KvCacheApi.VALUE_INDEX, random.nextInt(values.size()))
                .set(DRAW, random.nextDouble());
    }

    private static List<String> randomUuids(int count) {
        List<String> uuids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            uuids.add(UUID.randomUUID().toString());
        }
        return uuids;
    }
}
