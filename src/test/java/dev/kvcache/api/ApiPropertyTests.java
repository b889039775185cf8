package dev.kvcache.api;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SplittableRandom;

import dev.kvcache.api.ApiGenerators.Entry;
import dev.kvcache.api.ApiGenerators.Query;
import dev.kvcache.api.ApiGenerators.Shape;
import dev.kvcache.api.ApiModel.PutExpectation;
import dev.kvcache.cache.CacheService;
import dev.kvcache.support.Http;
import dev.kvcache.support.ServerTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static dev.kvcache.api.ApiChecks.assertFound;
import static dev.kvcache.api.ApiChecks.expiredSince;
import static dev.kvcache.api.ApiGenerators.asciiString;
import static dev.kvcache.api.ApiGenerators.encodeQueryComponent;
import static dev.kvcache.api.ApiGenerators.invalidTtl;
import static dev.kvcache.api.ApiGenerators.putBody;
import static dev.kvcache.api.ApiGenerators.queryWithKey;
import static dev.kvcache.api.ApiGenerators.ttlKind;
import static dev.kvcache.api.ApiGenerators.validBody;
import static dev.kvcache.api.ApiGenerators.validTtl;
import static dev.kvcache.api.ApiModel.MAX_KEY;
import static dev.kvcache.api.ApiModel.MAX_VALUE;
import static dev.kvcache.api.ApiModel.STORED;
import static dev.kvcache.api.ApiModel.TTL_RULE;
import static dev.kvcache.api.ApiModel.expectedPut;
import static dev.kvcache.api.PropertyRunner.escape;
import static dev.kvcache.api.PropertyRunner.forAll;
import static dev.kvcache.api.Shrinkers.shrinkBytes;
import static dev.kvcache.api.Shrinkers.shrinkString;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Property-based tests of the HTTP contract over real HTTP: generated keys, values, times to live, bodies, query
 * strings and header blocks, hundreds per property, each checked against a model of the contract (docs/api.md,
 * "Limits" and "Errors"), with the failing input made smaller before it is reported. {@code DELETE /delete} gets
 * the query strings of {@code GET /get} and must answer as it does.
 *
 * <p>The engine is beside this class: {@link ApiGenerators} draws the samples, {@link ApiChecks} sends them and
 * holds the answers against {@link ApiModel}, {@link PropertyRunner} runs each property and shrinks a failing
 * sample with {@link Shrinkers}, and {@link RawHttp} sends what a proper client refuses to. Each run draws a new
 * seed and prints it; {@code -Dkvcache.pbt.seed=<seed>} replays a run and {@code -Dkvcache.pbt.tries=<n>}
 * changes the number of tries of every property.
 *
 * <p>Invariants of every answer: never a 5xx; JSON with {@code Content-Type: application/json}; a refusal is
 * {@code {"status":"ERROR","message":"..."}} with a message under 200 characters that quotes no 16 characters of
 * the request; a refused put stores nothing (the store's put counter does not move, which supposes that no other
 * test puts at the same time: test classes run one after the other).
 */
@ServerTest
class ApiPropertyTests {

    @LocalServerPort
    int port;

    @Autowired
    CacheService cache;

    @Autowired
    Http http;

    ApiChecks checks;

    @BeforeEach
    void checksOfThisServer() {
        checks = new ApiChecks(cache, http, new RawHttp(port));
    }

    /**
     * Every valid key and value, with or without a valid ttl, however the JSON and the query spell them, is stored
     * and read back exactly (unless the ttl has passed by the time the answer arrives).
     */
    @Test
    void validEntriesRoundTripExactly() {
        Map<String, Integer> labels = forAll("validEntriesRoundTripExactly", 300,
                random -> new Entry(asciiString(random, 1, MAX_KEY), asciiString(random, 0, MAX_VALUE),
                        random.nextLong(), random.nextBoolean() ? validTtl(random) : null),
                Shrinkers::shrinkEntry,
                entry -> {
                    SplittableRandom spelling = new SplittableRandom(entry.spelling());
                    byte[] body = entry.spelling() == 0 // plain, as a shrunk sample is
                            ? ("{\"key\":" + Http.json(entry.key()) + ",\"value\":" + Http.json(entry.value())
                                    + (entry.ttl() == null ? "" : ",\"ttl\":" + entry.ttl()) + "}")
                                    .getBytes(StandardCharsets.UTF_8)
                            : validBody(spelling, entry.key(), entry.value(), entry.ttl());
                    long puts = cache.putCount();
                    long sent = System.nanoTime();
                    HttpResponse<String> put = checks.postJson(body);
                    assertThat(put.statusCode()).as("put: %s", put.body()).isEqualTo(200);
                    assertThat(put.body()).isEqualTo(STORED);
                    assertThat(put.headers().firstValue("Content-Type")).hasValue("application/json");
                    assertThat(cache.putCount()).as("puts").isEqualTo(puts + 1);
                    HttpResponse<String> get = entry.spelling() == 0 ? http.getKey(entry.key())
                            : http.get("/get?" + queryWithKey(spelling, encodeQueryComponent(spelling, entry.key())));
                    if (expiredSince(sent, entry.ttl()) && get.statusCode() == 404) {
                        return "expired before the get";
                    }
                    assertFound(get, entry.key(), entry.value());
                    return entry.value().isEmpty() ? "empty value" : entry.key().length() == MAX_KEY ? "longest key"
                            : entry.ttl() != null ? "entry with ttl" : "entry";
                });
        assertThat(labels.get("entry")).isGreaterThan(50);
        assertThat(labels.get("entry with ttl")).isGreaterThan(50);
    }

    /**
     * A valid put but for its ttl (0, negative, over the maximum or 64 bits, a fraction, a string, null, a boolean,
     * an object, an array) is refused with the ttl's message, and stores nothing.
     */
    @Test
    void invalidTtlsAreRefusedAndStoreNothing() {
        Map<String, Integer> labels = forAll("invalidTtlsAreRefusedAndStoreNothing", 300,
                random -> new Entry("ttl-" + Long.toHexString(random.nextLong()) + asciiString(random, 0, 200),
                        asciiString(random, 0, MAX_VALUE), random.nextLong(), null, invalidTtl(random)),
                entry -> shrinkString(entry.invalidTtl()).stream()
                        .filter(ttl -> TTL_RULE.equals(expectedPut(putBody(entry.key(), entry.value(), ttl)).message()))
                        .map(ttl -> new Entry(entry.key(), entry.value(), entry.spelling(), null, ttl))
                        .toList(),
                entry -> {
                    SplittableRandom spelling = new SplittableRandom(entry.spelling());
                    byte[] body = validBody(spelling, entry.key(), entry.value(), entry.invalidTtl());
                    PutExpectation expected = expectedPut(body);
                    assertThat(expected.message()).as("the model's reading of %s", escape(entry.invalidTtl()))
                            .isEqualTo(TTL_RULE);
                    checks.checkPut(body);
                    assertThat(http.getKey(entry.key()).statusCode()).as("not stored").isEqualTo(404);
                    return ttlKind(entry.invalidTtl());
                });
        assertThat(labels).containsKeys("integer out of range", "beyond 64 bits", "fraction or exponent", "string",
                "null, boolean, object or array");
    }

    /**
     * {@code DELETE /delete} with the query strings of {@link #oddQueryStringsAreAnsweredOrRefusedCleanly}: a
     * query that {@code GET /get} refuses gets the same status and message; one with a valid key answers 200 and
     * removes the entry if it was there (200 from the get before, 404 from the get after), else 404.
     */
    @Test
    void deleteAnswersAsGetDoes() {
        Map<String, Integer> labels = forAll("deleteAnswersAsGetDoes", 400,
                ApiGenerators::queryCase,
                query -> shrinkString(query.query()).stream().map(q -> new Query(q, query.valueToStore())).toList(),
                checks::checkDelete);
        assertThat(labels.getOrDefault("deleted", 0)).isGreaterThan(30);
        assertThat(labels.getOrDefault("not found", 0)).isGreaterThan(20);
        assertThat(labels.getOrDefault("refused as get is", 0)).isGreaterThan(80);
    }

    /**
     * Any bytes as a {@code /put} body: stored exactly if they are a valid put (as the model reads them), else
     * refused with 400 (413 over the size limit) and nothing stored.
     */
    @Test
    void arbitraryBodiesAreStoredExactlyOrRefusedCleanly() {
        Map<String, Integer> labels = forAll("arbitraryBodiesAreStoredExactlyOrRefusedCleanly", 500,
                ApiGenerators::arbitraryBody, Shrinkers::shrinkBytes, checks::checkPut);
        assertThat(labels.getOrDefault("refused 400", 0)).isGreaterThan(150);
        assertThat(labels.getOrDefault("stored", 0)).isGreaterThan(3);
    }

    /**
     * JSON of every shape: wrong types, nesting, arrays, numbers, missing, extra and duplicate fields, over-long
     * and non-ASCII strings, escapes (surrogates too). Valid ones are stored exactly, the rest refused cleanly.
     */
    @Test
    void jsonShapesAreStoredExactlyOrRefusedCleanly() {
        Map<String, Integer> labels = forAll("jsonShapesAreStoredExactlyOrRefusedCleanly", 400,
                ApiGenerators::jsonShape,
                shape -> shrinkBytes(shape.body()).stream().map(body -> new Shape(body, false)).toList(),
                shape -> {
                    if (shape.validByConstruction()) {
                        assertThat(expectedPut(shape.body()).stored()).as("the model agrees it is valid").isTrue();
                    }
                    return checks.checkPut(shape.body());
                });
        assertThat(labels.getOrDefault("stored", 0)).isGreaterThan(60);
        assertThat(labels.getOrDefault("refused 400", 0)).isGreaterThan(100);
    }

    /**
     * Any query string for {@code GET /get}: with one valid key it answers 200 with the entry or 404; anything
     * else (no key, two, empty, too long, not ASCII, malformed percent-encoding, characters a request line may
     * not hold, a line over the limit) is refused with a 4xx.
     */
    @Test
    void oddQueryStringsAreAnsweredOrRefusedCleanly() {
        Map<String, Integer> labels = forAll("oddQueryStringsAreAnsweredOrRefusedCleanly", 500,
                ApiGenerators::queryCase,
                query -> shrinkString(query.query()).stream().map(q -> new Query(q, query.valueToStore())).toList(),
                checks::checkGet);
        assertThat(labels.getOrDefault("found", 0)).isGreaterThan(30);
        assertThat(labels.getOrDefault("not found", 0)).isGreaterThan(30);
        assertThat(labels.getOrDefault("refused", 0)).isGreaterThan(100);
    }

    /**
     * Oversized or malformed request lines and headers: refused with 400, 414 or 431 in the JSON shape, or
     * answered as usual where the header is acceptable; a put is stored only if it was answered 200.
     */
    @Test
    void abusiveHeadersAreRefusedCleanly() {
        Map<String, Integer> labels = forAll("abusiveHeadersAreRefusedCleanly", 150,
                ApiGenerators::headerCase, Shrinkers::shrinkHeaders, checks::checkHeaders);
        assertThat(labels.getOrDefault("oversized refused", 0)).isGreaterThan(20);
    }
}
