package dev.kvcache.gatling;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.regex;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.core.CoreDsl.stopLoadGeneratorIf;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpRequestActionBuilder;

/**
 * Fills a server with a small memory budget several times over, then reads back the most recent keys.
 * Run it against a server started with {@code --kvcache.max-memory=16MB} (or pass {@code -DbudgetMb} to match).
 *
 * <ol>
 *   <li>Reads {@code cache_memory_budget_bytes} from {@code /actuator/prometheus} and stops at once unless it is
 *       {@code budgetMb}: every figure below is derived from it.</li>
 *   <li>Writes {@code writeFactor × budget / entryBytes} unique entries of 256-character keys and 256-character
 *       values (about 505 bytes of budget each in the server), in sequence-number order, with {@code users} users.</li>
 *   <li>When every write has answered, reads back the {@code recentKeys} most recent keys: each must hit with the
 *       exact value written.</li>
 *   <li>Checks that the server's eviction counter shows that it evicted at least what did not fit.</li>
 * </ol>
 *
 * <p>The store guarantees that the most recent writes filling 10% of the budget are readable, whatever
 * Caffeine's admission policy makes of them (docs/eviction.md). The default {@code recentKeys} is that share of
 * the budget's capacity, less 2% for the estimate of an entry's size and one write per user for the writes that
 * concurrent users finish out of order: 3,247 keys for 16 MB and 8 users. Older keys may or may not be there.
 */
public class EvictionSimulation extends Simulation {

    /** Both keys and values are as long as the service allows by default, the costliest entry per request. */
    private static final int KEY_LENGTH = 256;
    private static final int VALUE_LENGTH = 256;
    private static final String BUDGET_METRIC = "cache_memory_budget_bytes\\{cache=\"kv\"\\} (\\S+)";
    private static final String EVICTIONS_METRIC = "cache_evictions_total\\{cache=\"kv\"\\} (\\S+)";

    private final String baseUrl = Settings.string("baseUrl", "http://localhost:7171");
    private final int budgetMb = Settings.integer("budgetMb", 16, 16);
    // Smoke: twice the budget is the least that still proves eviction, and halves the run.
    private final double writeFactor = Settings.decimal("writeFactor", 4, 2);
    /**
     * Budget per 256/256 entry held by a full server: 476 bytes an entry costs (docs/memory.md), plus its share of
     * the segments still open or holding dead entries. Measured 505 at 16 MB (54,121 writes left 33,224 held) and
     * 487 at the 1.5 GB default, whatever the JDK: the entry lives off the heap.
     */
    private final int entryBytes = Settings.integer("entryBytes", 505, 505);
    private final int users = Settings.integer("users", 8, 4);

    private final long budgetBytes = budgetMb * 1024L * 1024L;
    private final long capacity = budgetBytes / entryBytes;
    private final long writes = (long) Math.ceil(writeFactor * budgetBytes / entryBytes);
    /** The store's guaranteed share of recent writes (10% of the budget), with the margins above. */
    private final int guaranteedRecentKeys = (int) (capacity * 0.10 * 0.98) - users;
    private final int recentKeys = Settings.integer("recentKeys", guaranteedRecentKeys, guaranteedRecentKeys);
    /**
     * The budget holds about {@code capacity} entries, so the rest must have been evicted; 8% of slack for the
     * share of open and part-dead segments, which differs with the budget.
     */
    private final long minimumEvictions = writes - Math.round(capacity * 1.08);

    /** Unique per run, so that a second run against the same server cannot find the first run's entries. */
    private final String keyPrefix = "evict-" + Long.toString(System.currentTimeMillis(), 36) + "-";
    private final ValuePool values = new ValuePool(ValuePool.DEFAULT_SIZE, VALUE_LENGTH);

    {
        Settings.require(budgetMb > 0, "-DbudgetMb must be at least 1");
        Settings.require(writeFactor > 1, "-DwriteFactor must be more than 1, or nothing needs evicting");
        Settings.require(users > 0, "-Dusers must be at least 1");
        Settings.require(recentKeys > 0 && recentKeys <= capacity,
                "-DrecentKeys must be between 1 and the budget's capacity, " + capacity + " entries");
        System.out.printf("EvictionSimulation: baseUrl=%s budgetMb=%d writeFactor=%s writes=%d users=%d"
                        + " recentKeys=%d (capacity ~%d entries of ~%d bytes) smoke=%s%n", baseUrl, budgetMb,
                writeFactor, writes, users, recentKeys, capacity, entryBytes, Settings.SMOKE);

        ScenarioBuilder checkBudget = scenario("Check the server's budget").exec(
                prometheus("server budget").check(
                        status().is(200),
                        regex(BUDGET_METRIC).transform(EvictionSimulation::metricValue).is(budgetBytes)
                                .name("budget is -DbudgetMb=" + budgetMb + " (" + budgetBytes + " bytes)")),
                // Writing for a budget the server does not have would prove nothing: stop here (the run then fails
                // its assertions, and the errors table names the budget that was found).
                stopLoadGeneratorIf("the server's budget is not -DbudgetMb", Session::isFailed));

        SharedWorkList writeOrder = new SharedWorkList(0, writes);
        ScenarioBuilder write = scenario("Write " + writes + " unique entries").exec(
                writeOrder.forEachIndex("sequence", exec(this::entryOfSequence).exec(KvCacheApi.put("put", values))));

        SharedWorkList mostRecent = new SharedWorkList(writes - recentKeys, writes);
        ScenarioBuilder readBack = scenario("Read back the " + recentKeys + " most recent keys").exec(
                mostRecent.forEachIndex("sequence", exec(this::entryOfSequence)
                        .exec(KvCacheApi.get("get recent", KvCacheApi.valueIs(values)))));

        ScenarioBuilder checkEvictions = scenario("Check the server evicted").exec(
                prometheus("server evictions").check(
                        status().is(200),
                        regex(EVICTIONS_METRIC).transform(EvictionSimulation::metricValue).gte(minimumEvictions)
                                .name("evicted at least " + minimumEvictions)));

        // Sequential phases: each starts when every user of the previous one has finished.
        setUp(checkBudget.injectOpen(atOnceUsers(1)).andThen(
                write.injectOpen(atOnceUsers(users)).andThen(
                        readBack.injectOpen(atOnceUsers(Math.min(users, recentKeys))).andThen(
                                checkEvictions.injectOpen(atOnceUsers(1))))))
                .protocols(KvCacheApi.protocol(baseUrl))
                .assertions(
                        global().failedRequests().count().is(0L),
                        details("put").allRequests().count().is(writes),
                        details("get recent").allRequests().count().is((long) recentKeys),
                        details("get recent").successfulRequests().percent().is(100.0));
    }

    /** The metrics in Prometheus' text format (the protocol's {@code Accept: application/json} would get a 406). */
    private static HttpRequestActionBuilder prometheus(String requestName) {
        return http(requestName).get("/actuator/prometheus").header("Accept", "text/plain");
    }

    /** A counter or gauge in Prometheus' text format, where whole numbers look like {@code 1.6777216E7}. */
    private static long metricValue(String text) {
        return (long) Double.parseDouble(text);
    }

    /**
     * Key and value of the session's sequence number: the number zero-padded to a 256-character key, so the
     * read phase can rebuild the most recent keys, and a pool value chosen by the number, so it knows the value.
     */
    private Session entryOfSequence(Session session) {
        long sequence = session.getLong("sequence");
        String digits = Long.toString(sequence);
        String key = keyPrefix + "0".repeat(KEY_LENGTH - keyPrefix.length() - digits.length()) + digits;
        return session.set(KvCacheApi.KEY, key).set(KvCacheApi.VALUE_INDEX, (int) (sequence % values.size()));
    }
}
