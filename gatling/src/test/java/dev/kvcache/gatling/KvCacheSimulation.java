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
 *       requests as {@code POST /put} and the rest as {@code GET /get}, on random keys.</li>
 * </ol>
 *
 * Every put must answer 200 with the documented body; every get 200 with the key and one of the values the
 * simulation puts (another user may have overwritten the key in between, so the exact value is unknowable;
 * a 404 is a miss and fails). Assertions: no failed request at all, and the workload's p99 of each of put and
 * get at most {@code p99Ms}.
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
    // Smoke runs on a cold server sharing 2 cores with Gatling: its p99 only has to be sane, not fast.
    private final int p99Ms = Settings.integer("p99Ms", 100, 1000);

    /** Random per run, so that a run never reads what an earlier run against the same server wrote. */
    private final List<String> keys = randomUuids(keyCount);
    private final ValuePool values = new ValuePool(ValuePool.DEFAULT_SIZE, valueLength);

    /** Set when the first workload user starts, to ramp plus duration later: every workload user loops until then. */
    private final AtomicLong workloadDeadlineNanos = new AtomicLong();

    {
        Settings.require(users > 0, "-Dusers must be at least 1");
        Settings.require(durationSeconds > 0, "-Dduration must be at least 1 second");
        Settings.require(rampSeconds >= 0, "-Dramp must not be negative");
        Settings.require(keyCount > 0, "-Dkeys must be at least 1");
        Settings.require(valueLength >= 0, "-DvalueLength must not be negative");
        Settings.require(putRatio >= 0 && putRatio <= 1, "-DputRatio must be between 0 and 1");
        System.out.printf("KvCacheSimulation: baseUrl=%s users=%d duration=%ds ramp=%ds keys=%d valueLength=%d"
                        + " putRatio=%s p99Ms=%d smoke=%s%n", baseUrl, users, durationSeconds, rampSeconds, keyCount,
                valueLength, putRatio, p99Ms, Settings.SMOKE);

        // The warm-up shares the keys out among as many users as the workload has, each putting until none is left.
        SharedWorkList warmUpKeys = new SharedWorkList(0, keyCount);
        ScenarioBuilder warmUp = scenario("Warm-up: put every key once").exec(warmUpKeys.forEachIndex("keyIndex",
                exec(this::pickKeyFromIndex).exec(KvCacheApi.put("warm-up put", values))));

        ScenarioBuilder workload = scenario("Workload").exec(
                asLongAs(session -> beforeWorkloadDeadline()).on(
                        exec(this::pickRandomKeyAndValue),
                        doIfOrElse(session -> ThreadLocalRandom.current().nextDouble() < putRatio)
                                .then(exec(KvCacheApi.put("put", values)))
                                .orElse(exec(KvCacheApi.get("get", KvCacheApi.valueInPool(values))))));

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
        if (putRatio < 1) {
            assertions.add(details("get").responseTime().percentile(99).lte(p99Ms));
        }
        return assertions;
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
        return session.set(KvCacheApi.KEY, keys.get((int) session.getLong("keyIndex")))
                .set(KvCacheApi.VALUE_INDEX, ThreadLocalRandom.current().nextInt(values.size()));
    }

    private Session pickRandomKeyAndValue(Session session) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return session.set(KvCacheApi.KEY, keys.get(random.nextInt(keys.size())))
                .set(KvCacheApi.VALUE_INDEX, random.nextInt(values.size()));
    }

    private static List<String> randomUuids(int count) {
        List<String> uuids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            uuids.add(UUID.randomUUID().toString());
        }
        return uuids;
    }
}
