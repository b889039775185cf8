package dev.kvcache.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;

import dev.kvcache.cache.CacheService;
import dev.kvcache.support.Http;
import dev.kvcache.support.ServerTest;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Property-based tests of the HTTP contract over real HTTP: generated keys, values, times to live, bodies, query
 * strings and header blocks, hundreds per property, each checked against a model of the contract (docs/api.md,
 * "Limits" and "Errors"), with the failing input made smaller before it is reported. {@code DELETE /delete} gets
 * the query strings of {@code GET /get} and must answer as it does.
 *
 * <p>The generators and the small runner ({@link #forAll}) are in this class. Each run draws a new seed and
 * prints it; {@code -Dkvcache.pbt.seed=<seed>} replays a run and {@code -Dkvcache.pbt.tries=<n>} changes the
 * number of tries of every property.
 *
 * <p>Invariants of every answer: never a 5xx; JSON with {@code Content-Type: application/json}; a refusal is
 * {@code {"status":"ERROR","message":"..."}} with a message under 200 characters that quotes no 16 characters of
 * the request; a refused put stores nothing (the store's put counter does not move, which supposes that no other
 * test puts at the same time: test classes run one after the other).
 */
@ServerTest
class ApiPropertyTests {

    private static final int MAX_KEY = 256;
    private static final int MAX_VALUE = 256;
    private static final int MAX_BODY = 6 * (MAX_KEY + MAX_VALUE) + 1024;
    /** Tomcat's limit on the request line and headers together ({@code server.max-http-request-header-size}). */
    private static final int MAX_HEADER_BYTES = 8 * 1024;
    /** Tomcat's default {@code maxParameterCount}. */
    private static final int MAX_PARAMETERS = 1000;

    private static final String STORED = "{\"status\":\"OK\",\"message\":\"Key inserted/updated successfully.\"}";
    private static final String DELETED = "{\"status\":\"OK\",\"message\":\"Key deleted.\"}";
    private static final String NOT_FOUND = "{\"status\":\"ERROR\",\"message\":\"Key not found\"}";
    /** {@code kvcache.max-ttl}'s default, in seconds. */
    private static final long MAX_TTL = 86_400;
    private static final String TTL_RULE = "ttl must be a whole number of seconds from 1 to " + MAX_TTL;
    private static final int MAX_MESSAGE = 200;
    private static final int ECHO_WINDOW = 16;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** The model's JSON reader: strict as the service's (UTF-8 only, duplicate fields refused). */
    private static final JsonFactory MODEL_JSON = JsonFactory.builder()
            .disable(TokenStreamFactory.Feature.CHARSET_DETECTION)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final String UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    /** Characters Tomcat takes as they are in a query. */
    private static final String QUERY_SAFE = UNRESERVED + "!$&'()*+,;=:@/?%";
    /** Characters Tomcat refuses in a request target (CR and LF are left out: they would end the line). */
    private static final String QUERY_REFUSED;

    static {
        StringBuilder refused = new StringBuilder(" \"#<>\\^`{|}\u007f");
        for (char c = 0; c < 0x20; c++) {
            if (c != '\r' && c != '\n') {
                refused.append(c);
            }
        }
        for (char c = 0x80; c <= 0xFF; c++) {
            refused.append(c);
        }
        QUERY_REFUSED = refused.toString();
    }

    @LocalServerPort
    int port;

    @Autowired
    CacheService cache;

    @Autowired
    Http http;

    // ---------------------------------------------------------------------------------------------------------
    // Properties
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Every valid key and value, with or without a valid ttl, however the JSON and the query spell them, is stored
     * and read back exactly (unless the ttl has passed by the time the answer arrives).
     */
    @Test
    void validEntriesRoundTripExactly() {
        Map<String, Integer> labels = forAll("validEntriesRoundTripExactly", 300,
                random -> new Entry(asciiString(random, 1, MAX_KEY), asciiString(random, 0, MAX_VALUE),
                        random.nextLong(), random.nextBoolean() ? validTtl(random) : null),
                ApiPropertyTests::shrinkEntry,
                entry -> {
                    SplittableRandom spelling = new SplittableRandom(entry.spelling());
                    byte[] body = entry.spelling() == 0 // plain, as a shrunk sample is
                            ? ("{\"key\":" + Http.json(entry.key()) + ",\"value\":" + Http.json(entry.value())
                                    + (entry.ttl() == null ? "" : ",\"ttl\":" + entry.ttl()) + "}")
                                    .getBytes(StandardCharsets.UTF_8)
                            : validBody(spelling, entry.key(), entry.value(), entry.ttl());
                    long puts = cache.putCount();
                    long sent = System.nanoTime();
                    HttpResponse<String> put = postJson(body);
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
                    checkPut(body);
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
                ApiPropertyTests::queryCase,
                query -> shrinkString(query.query()).stream().map(q -> new Query(q, query.valueToStore())).toList(),
                this::checkDelete);
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
                ApiPropertyTests::arbitraryBody, ApiPropertyTests::shrinkBytes, this::checkPut);
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
                ApiPropertyTests::jsonShape,
                shape -> shrinkBytes(shape.body()).stream().map(body -> new Shape(body, false)).toList(),
                shape -> {
                    if (shape.validByConstruction()) {
                        assertThat(expectedPut(shape.body()).stored()).as("the model agrees it is valid").isTrue();
                    }
                    return checkPut(shape.body());
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
                ApiPropertyTests::queryCase,
                query -> shrinkString(query.query()).stream().map(q -> new Query(q, query.valueToStore())).toList(),
                this::checkGet);
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
                ApiPropertyTests::headerCase, ApiPropertyTests::shrinkHeaders, this::checkHeaders);
        assertThat(labels.getOrDefault("oversized refused", 0)).isGreaterThan(20);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Checks
    // ---------------------------------------------------------------------------------------------------------

    private String checkPut(byte[] body) {
        PutExpectation expected = expectedPut(body);
        long puts = cache.putCount();
        long sent = System.nanoTime();
        HttpResponse<String> put = postJson(body);
        String request = new String(body, StandardCharsets.ISO_8859_1);
        if (expected.stored()) {
            assertThat(put.statusCode()).as("valid put answered: %s", put.body()).isEqualTo(200);
            assertThat(put.body()).isEqualTo(STORED);
            assertThat(cache.putCount()).as("puts").isEqualTo(puts + 1);
            HttpResponse<String> get = http.getKey(expected.key());
            if (!(expiredSince(sent, expected.ttl()) && get.statusCode() == 404)) {
                assertFound(get, expected.key(), expected.value());
            }
            return "stored";
        }
        assertRefusal(put.statusCode(), put.headers().firstValue("Content-Type").orElse(null), put.body(), request);
        assertThat(put.statusCode()).as("status of a refused put: %s", put.body()).isEqualTo(expected.status());
        if (expected.message() != null) {
            assertThat(JSON.readTree(put.body()).get("message").asString()).isEqualTo(expected.message());
        }
        assertThat(cache.putCount()).as("puts after a refused put").isEqualTo(puts);
        return "refused " + expected.status();
    }

    /** True once {@code ttl} seconds have passed since {@code sentNanos}: an entry put then may be gone. */
    private static boolean expiredSince(long sentNanos, Long ttl) {
        return ttl != null && System.nanoTime() - sentNanos >= ttl * 1_000_000_000L;
    }

    private String checkDelete(Query query) {
        GetExpectation asGet = expectedGet(query.query());
        GetExpectation expected = expectedKeyQuery("DELETE /delete?", query.query());
        String get = "GET /get?" + query.query() + " HTTP/1.0\r\n\r\n";
        String delete = "DELETE /delete?" + query.query() + " HTTP/1.0\r\n\r\n";
        if (expected.kind() == GetKind.KEY && asGet.kind() == GetKind.KEY && query.valueToStore() != null) {
            assertThat(http.put(expected.key(), query.valueToStore()).statusCode()).isEqualTo(200);
            RawResponse found = raw(get);
            assertFound(found.status(), found.body(), expected.key(), query.valueToStore());
            assertAnswer(raw(delete), 200, DELETED);
            assertAnswer(raw(delete), 404, NOT_FOUND);
            assertAnswer(raw(get), 404, NOT_FOUND);
            return "deleted";
        }
        RawResponse response = raw(delete);
        assertThat(response.status()).as("never 5xx: %s", response.body()).isLessThan(500);
        assertThat(response.header("Content-Type")).as("Content-Type").isEqualTo("application/json");
        switch (expected.kind()) {
            case KEY -> {
                if (response.status() == 200) { // stored earlier by another property
                    assertAnswer(response, 200, DELETED);
                    assertAnswer(raw(delete), 404, NOT_FOUND);
                    return "deleted";
                }
                assertAnswer(response, 404, NOT_FOUND);
                return "not found";
            }
            case REFUSED -> {
                assertRefusal(response.status(), response.header("Content-Type"), response.body(), delete);
                if (asGet.kind() != GetKind.REFUSED) {
                    return "refused";
                }
                RawResponse refusedGet = raw(get);
                assertThat(response.status()).as("status, as GET /get's: %s", refusedGet.body())
                        .isEqualTo(refusedGet.status());
                assertThat(response.body()).as("message, as GET /get's").isEqualTo(refusedGet.body());
                return "refused as get is";
            }
            default -> {
                if (response.status() >= 400) {
                    assertRefusal(response.status(), response.header("Content-Type"), response.body(), delete);
                }
                return "uncertain";
            }
        }
    }

    private String checkGet(Query query) {
        GetExpectation expected = expectedGet(query.query());
        if (expected.kind() == GetKind.KEY && query.valueToStore() != null) {
            assertThat(http.put(expected.key(), query.valueToStore()).statusCode()).isEqualTo(200);
        }
        String request = "GET /get?" + query.query() + " HTTP/1.0\r\n\r\n";
        RawResponse response = raw(request);
        assertThat(response.status()).as("never 5xx: %s", response.body()).isLessThan(500);
        assertThat(response.header("Content-Type")).as("Content-Type").isEqualTo("application/json");
        switch (expected.kind()) {
            case KEY -> {
                if (query.valueToStore() != null) {
                    assertFound(response.status(), response.body(), expected.key(), query.valueToStore());
                    return "found";
                }
                if (response.status() == 200) { // stored earlier by someone else: still the key asked for
                    assertThat(JSON.readTree(response.body()).get("key").asString()).isEqualTo(expected.key());
                    return "found";
                }
                assertThat(response.status()).as(response.body()).isEqualTo(404);
                assertThat(response.body()).isEqualTo("{\"status\":\"ERROR\",\"message\":\"Key not found\"}");
                return "not found";
            }
            case REFUSED -> {
                assertRefusal(response.status(), response.header("Content-Type"), response.body(), request);
                return "refused";
            }
            default -> {
                if (response.status() >= 400) {
                    assertRefusal(response.status(), response.header("Content-Type"), response.body(), request);
                }
                return "uncertain";
            }
        }
    }

    private String checkHeaders(HeaderCase request) {
        String marker = "hdr-" + UUID.randomUUID();
        String text = request.text(marker);
        RawResponse response = raw(text);
        assertThat(response.status()).as("never 5xx: %s", response.body()).isLessThan(500);
        assertThat(response.header("Content-Type")).as("Content-Type").isEqualTo("application/json");
        boolean refused = response.status() == 400 || response.status() == 414 || response.status() == 431;
        int headerBytes = text.indexOf("\r\n\r\n") + 4;
        if (headerBytes > MAX_HEADER_BYTES + 64) {
            assertThat(refused).as("oversized request line and headers (%d bytes) refused: %s %s", headerBytes,
                    response.status(), response.body()).isTrue();
        }
        if (refused) {
            assertRefusal(response.status(), response.header("Content-Type"), response.body(), text);
        }
        else if (request.post()) {
            assertThat(response.status()).as(response.body()).isEqualTo(200);
            assertThat(response.body()).isEqualTo(STORED);
        }
        else if (request.method().equals("GET") || request.method().equals("DELETE")) {
            assertThat(response.status()).as(response.body()).isEqualTo(404);
            assertThat(response.body()).isEqualTo(NOT_FOUND);
        }
        else { // a method of no meaning here, which the answer must not quote
            assertThat(response.status()).as(response.body()).isEqualTo(405);
            assertRefusal(response.status(), response.header("Content-Type"), response.body(), text);
        }
        if (request.post()) {
            HttpResponse<String> get = http.getKey(marker);
            assertThat(get.statusCode()).as("stored only if answered 200").isEqualTo(refused ? 404 : 200);
        }
        return headerBytes > MAX_HEADER_BYTES + 64 ? "oversized refused" : refused ? "refused" : "answered";
    }

    private static void assertAnswer(RawResponse response, int status, String body) {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.header("Content-Type")).as("Content-Type").isEqualTo("application/json");
        assertThat(response.body()).isEqualTo(body);
    }

    private static void assertFound(HttpResponse<String> get, String key, String value) {
        assertThat(get.headers().firstValue("Content-Type")).hasValue("application/json");
        assertFound(get.statusCode(), get.body(), key, value);
    }

    private static void assertFound(int status, String body, String key, String value) {
        assertThat(status).as("get: %s", body).isEqualTo(200);
        JsonNode entry = JSON.readTree(body);
        assertThat(entry.propertyNames()).containsExactly("status", "key", "value");
        assertThat(entry.get("status").asString()).isEqualTo("OK");
        assertThat(entry.get("key").asString()).isEqualTo(key);
        assertThat(entry.get("value").asString()).isEqualTo(value);
    }

    /** A refusal: 4xx, JSON error shape, a short message that does not quote the request. */
    private static void assertRefusal(int status, String contentType, String body, String request) {
        assertThat(status).as("a 4xx: %s", body).isBetween(400, 499);
        assertThat(contentType).as("Content-Type").isEqualTo("application/json");
        JsonNode error = JSON.readTree(body);
        assertThat(error.propertyNames()).as(body).containsExactly("status", "message");
        assertThat(error.get("status").asString()).isEqualTo("ERROR");
        assertThat(error.get("message").isString()).as(body).isTrue();
        String message = error.get("message").asString();
        assertThat(message).as("message").isNotBlank().hasSizeLessThan(MAX_MESSAGE);
        for (int i = 0; i + ECHO_WINDOW <= message.length(); i++) {
            String window = message.substring(i, i + ECHO_WINDOW);
            assertThat(request).as("message %s quotes the request", message).doesNotContain(window);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The model: what the contract says a put body or a query string leads to
    // ---------------------------------------------------------------------------------------------------------

    /** A put stored (with its ttl, null for none) or refused (with its message, where the model knows it). */
    record PutExpectation(boolean stored, int status, String key, String value, Long ttl, String message) {

        static PutExpectation refused(int status) {
            return refused(status, null);
        }

        static PutExpectation refused(int status, String message) {
            return new PutExpectation(false, status, null, null, null, message);
        }
    }

    /**
     * What a {@code /put} of these bytes must lead to. Read token by token as the service's data binding reads
     * them: a JSON object whose {@code key} and {@code value} are strings and whose {@code ttl}, if there, is any
     * JSON value, other fields skipped, duplicate fields and anything after the object refused; then the limits
     * on the strings and the ttl. A ttl that is not an integer from 1 to {@link #MAX_TTL} is refused with
     * {@link #TTL_RULE}; the model does not say which message a put with several faults gets.
     */
    static PutExpectation expectedPut(byte[] body) {
        if (body.length > MAX_BODY) {
            return PutExpectation.refused(413);
        }
        String key = null;
        String value = null;
        boolean hasTtl = false;
        BigInteger ttl = null; // null where the ttl is not a JSON integer
        try (JsonParser parser = MODEL_JSON.createParser(ObjectReadContext.empty(), body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return PutExpectation.refused(400);
            }
            for (JsonToken token = parser.nextToken(); token == JsonToken.PROPERTY_NAME; token = parser.nextToken()) {
                String name = parser.currentName();
                JsonToken content = parser.nextToken();
                if (name.equals("key") || name.equals("value")) {
                    if (content != JsonToken.VALUE_STRING && content != JsonToken.VALUE_NULL) {
                        return PutExpectation.refused(400); // a number, boolean, object or array
                    }
                    String text = content == JsonToken.VALUE_STRING ? parser.getString() : null;
                    if (name.equals("key")) {
                        key = text;
                    }
                    else {
                        value = text;
                    }
                }
                else if (name.equals("ttl")) {
                    hasTtl = true;
                    ttl = content == JsonToken.VALUE_NUMBER_INT ? parser.getBigIntegerValue() : null;
                    parser.skipChildren();
                }
                else {
                    parser.skipChildren();
                }
            }
            if (parser.nextToken() != null) {
                return PutExpectation.refused(400);
            }
        }
        catch (JacksonException ex) {
            return PutExpectation.refused(400);
        }
        boolean entryValid = valid(key, 1, MAX_KEY) && valid(value, 0, MAX_VALUE);
        if (hasTtl && (ttl == null || ttl.signum() <= 0 || ttl.compareTo(BigInteger.valueOf(MAX_TTL)) > 0)) {
            return PutExpectation.refused(400, entryValid ? TTL_RULE : null);
        }
        if (!entryValid) {
            return PutExpectation.refused(400);
        }
        return new PutExpectation(true, 200, key, value, hasTtl ? ttl.longValue() : null, null);
    }

    private static boolean valid(String text, int minLength, int maxLength) {
        return text != null && text.length() >= minLength && text.length() <= maxLength
                && text.chars().allMatch(c -> c <= 0x7F);
    }

    enum GetKind { KEY, REFUSED, UNCERTAIN }

    record GetExpectation(GetKind kind, String key) {
    }

    /**
     * What {@code GET /get?<query>} must lead to, as Tomcat parses a query: split at {@code &}, then at the
     * first {@code =}; percent-escapes and {@code +} decoded, the bytes read as UTF-8; any failure refuses the
     * whole request. Characters a request line may not hold, and a request line over the limit, are refused by
     * Tomcat before the application sees them.
     */
    static GetExpectation expectedGet(String query) {
        return expectedKeyQuery("GET /get?", query);
    }

    /** As {@link #expectedGet}, for a request line that starts as given ({@code DELETE /delete?}). */
    static GetExpectation expectedKeyQuery(String requestLineStart, String query) {
        int lineBytes = requestLineStart.length() + query.length() + " HTTP/1.0\r\n\r\n".length();
        if (lineBytes > MAX_HEADER_BYTES + 64) {
            return new GetExpectation(GetKind.REFUSED, null);
        }
        if (lineBytes > MAX_HEADER_BYTES - 64) {
            return new GetExpectation(GetKind.UNCERTAIN, null);
        }
        boolean uncertain = false;
        for (int i = 0; i < query.length(); i++) {
            char c = query.charAt(i);
            if (QUERY_REFUSED.indexOf(c) >= 0) {
                return new GetExpectation(GetKind.REFUSED, null);
            }
            uncertain |= QUERY_SAFE.indexOf(c) < 0;
        }
        if (uncertain) { // '[' or ']': whether Tomcat takes them depends on its relaxedQueryChars
            return new GetExpectation(GetKind.UNCERTAIN, null);
        }
        List<String> keys = new ArrayList<>();
        int parameters = 0;
        for (String chunk : query.split("&", -1)) {
            if (chunk.isEmpty()) {
                continue;
            }
            int equals = chunk.indexOf('=');
            String name = equals < 0 ? chunk : chunk.substring(0, equals);
            String value = equals < 0 ? "" : chunk.substring(equals + 1);
            if (name.isEmpty()) {
                return new GetExpectation(GetKind.REFUSED, null);
            }
            String decodedName = decodeQueryComponent(name);
            String decodedValue = decodeQueryComponent(value);
            if (decodedName == null || decodedValue == null) {
                return new GetExpectation(GetKind.REFUSED, null);
            }
            parameters++;
            if (decodedName.equals("key")) {
                keys.add(decodedValue);
            }
        }
        if (parameters > MAX_PARAMETERS - 5 && parameters <= MAX_PARAMETERS + 5) {
            return new GetExpectation(GetKind.UNCERTAIN, null);
        }
        if (parameters > MAX_PARAMETERS || keys.size() != 1 || !valid(keys.get(0), 1, MAX_KEY)) {
            return new GetExpectation(GetKind.REFUSED, null);
        }
        return new GetExpectation(GetKind.KEY, keys.get(0));
    }

    /** The decoded query component, or null if its percent-encoding or UTF-8 is malformed. */
    private static String decodeQueryComponent(String component) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < component.length(); i++) {
            char c = component.charAt(i);
            if (c == '+') {
                bytes.write(' ');
            }
            else if (c == '%') {
                if (i + 2 >= component.length()) {
                    return null;
                }
                int high = Character.digit(component.charAt(i + 1), 16);
                int low = Character.digit(component.charAt(i + 2), 16);
                if (high < 0 || low < 0) {
                    return null;
                }
                bytes.write(high * 16 + low);
                i += 2;
            }
            else {
                bytes.write(c);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        }
        catch (CharacterCodingException ex) {
            return null;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Generators
    // ---------------------------------------------------------------------------------------------------------

    /** A put: a valid ttl or none, or (for the refused puts) a ttl written as JSON that breaks the rule. */
    record Entry(String key, String value, long spelling, Long ttl, String invalidTtl) {

        Entry(String key, String value, long spelling, Long ttl) {
            this(key, value, spelling, ttl, null);
        }
    }

    record Shape(byte[] body, boolean validByConstruction) {
    }

    record Query(String query, String valueToStore) {
    }

    /**
     * A request for a fresh marker key: {@code GET /get?key=<marker>...}, {@code DELETE /delete?key=<marker>...},
     * a put of it, or another method on {@code /get}.
     */
    record HeaderCase(String method, String targetSuffix, List<String> headers) {

        boolean post() {
            return method.equals("POST");
        }

        String text(String marker) {
            boolean post = post();
            String target = (post ? "/put" : method.equals("DELETE") ? "/delete?key=" + marker : "/get?key=" + marker)
                    + targetSuffix;
            StringBuilder request = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.0\r\n");
            String body = post ? "{\"key\":\"" + marker + "\",\"value\":\"v\"}" : "";
            if (post) {
                request.append("Content-Type: application/json\r\n");
                request.append("Content-Length: ").append(body.length()).append("\r\n");
            }
            headers.forEach(header -> request.append(header).append("\r\n"));
            return request.append("\r\n").append(body).toString();
        }
    }

    /** An ASCII character, with the ones that JSON, URLs and HTTP treat specially drawn often. */
    private static char asciiChar(SplittableRandom random) {
        int kind = random.nextInt(100);
        if (kind < 35) {
            return UNRESERVED.charAt(random.nextInt(UNRESERVED.length()));
        }
        if (kind < 50) {
            return "\"\\/'<>&".charAt(random.nextInt(7));
        }
        if (kind < 65) {
            return " %+&=?#;,:@[]{}|^`".charAt(random.nextInt(18));
        }
        if (kind < 85) {
            int control = random.nextInt(33);
            return control == 32 ? '\u007f' : (char) control;
        }
        return (char) random.nextInt(128);
    }

    private static int length(SplittableRandom random, int min, int max) {
        int kind = random.nextInt(10);
        if (kind == 0) {
            return min;
        }
        if (kind == 1) {
            return max;
        }
        if (kind < 5) {
            return min + random.nextInt(Math.min(max - min, 8) + 1);
        }
        return min + random.nextInt(max - min + 1);
    }

    private static String asciiString(SplittableRandom random, int min, int max) {
        int length = length(random, min, max);
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append(asciiChar(random));
        }
        return text.toString();
    }

    /** Any string, mostly not ASCII: accented letters, other scripts, emoji, lone surrogates. */
    private static String unicodeString(SplittableRandom random, int min, int max) {
        int length = length(random, min, max);
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(10);
            if (kind < 3) {
                text.append(asciiChar(random));
            }
            else if (kind < 5) {
                text.append((char) (0x80 + random.nextInt(0x780))); // Latin-1 and beyond, 2 bytes in UTF-8
            }
            else if (kind < 7) {
                text.append((char) (0x800 + random.nextInt(0xD000))); // 3 bytes in UTF-8
            }
            else if (kind < 9) {
                text.appendCodePoint(0x10000 + random.nextInt(0x100000)); // a surrogate pair
            }
            else {
                text.append((char) (0xD800 + random.nextInt(0x800))); // a lone surrogate
            }
        }
        if (text.chars().allMatch(c -> c <= 0x7F) && length > 0) {
            text.setCharAt(random.nextInt(length), '\u00e9');
        }
        return text.toString();
    }

    /** White space JSON allows between tokens, usually none. */
    private static String whitespace(SplittableRandom random) {
        if (random.nextInt(4) != 0) {
            return "";
        }
        StringBuilder space = new StringBuilder();
        for (int i = random.nextInt(1, 4); i > 0; i--) {
            space.append(" \t\r\n".charAt(random.nextInt(4)));
        }
        return space.toString();
    }

    /**
     * A JSON string literal for the text, each character spelled one of the ways JSON allows: as itself, as a
     * short escape, as {@code \}{@code uXXXX} in either case. Lone surrogates can only be escapes.
     */
    private static String jsonString(SplittableRandom random, String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i += Character.charCount(text.codePointAt(i))) {
            int c = text.codePointAt(i);
            int spelling = random.nextInt(10);
            String shortEscape = switch (c) {
                case '"' -> "\\\"";
                case '\\' -> "\\\\";
                case '/' -> "\\/";
                case '\b' -> "\\b";
                case '\f' -> "\\f";
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                case '\t' -> "\\t";
                default -> null;
            };
            boolean mustEscape = c == '"' || c == '\\' || c < 0x20 || c <= 0xFFFF && Character.isSurrogate((char) c);
            if (!mustEscape && spelling < 7) {
                out.appendCodePoint(c);
            }
            else if (shortEscape != null && spelling < 9) {
                out.append(shortEscape);
            }
            else { // a pair of surrogates is escaped as a pair
                for (char unit : Character.toChars(c)) {
                    String hex = String.format("\\u%04x", (int) unit);
                    out.append(random.nextBoolean() ? hex : "\\u" + hex.substring(2).toUpperCase(Locale.ROOT));
                }
            }
        }
        return out.append('"').toString();
    }

    /** A valid put body for the entry, spelled at random: field order, escapes, white space, unknown fields. */
    private static byte[] validBody(SplittableRandom random, String key, String value) {
        return validBody(random, key, value, (String) null);
    }

    /** The same, with {@code "ttl": <ttl>} among the fields unless ttl is null. */
    private static byte[] validBody(SplittableRandom random, String key, String value, Long ttl) {
        return validBody(random, key, value, ttl == null ? null : ttl.toString());
    }

    /** The same, with the ttl as this JSON text (valid or not) among the fields unless it is null. */
    private static byte[] validBody(SplittableRandom random, String key, String value, String ttlJson) {
        List<String> fields = new ArrayList<>();
        fields.add(jsonString(random, "key") + whitespace(random) + ":" + whitespace(random) + jsonString(random, key));
        fields.add(jsonString(random, "value") + whitespace(random) + ":" + whitespace(random)
                + jsonString(random, value));
        Set<String> names = new HashSet<>(Set.of("key", "value", "ttl"));
        for (int extra = random.nextInt(4) == 0 ? random.nextInt(1, 4) : 0; extra > 0; extra--) {
            String name = asciiString(random, 0, 8);
            if (names.add(name)) {
                fields.add(random.nextInt(fields.size() + 1),
                        jsonString(random, name) + ":" + whitespace(random) + jsonValue(random, 3));
            }
        }
        if (random.nextBoolean()) {
            Collections.swap(fields, 0, 1);
        }
        if (ttlJson != null) {
            fields.add(random.nextInt(fields.size() + 1),
                    jsonString(random, "ttl") + whitespace(random) + ":" + whitespace(random) + ttlJson);
        }
        return object(random, fields).getBytes(StandardCharsets.UTF_8);
    }

    /** A plain put body with the ttl as this JSON text. */
    private static byte[] putBody(String key, String value, String ttlJson) {
        return ("{\"key\":" + Http.json(key) + ",\"value\":" + Http.json(value) + ",\"ttl\":" + ttlJson + "}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** A valid ttl, the bounds and short ones (which may pass before the get) drawn often. */
    private static long validTtl(SplittableRandom random) {
        return switch (random.nextInt(6)) {
            case 0 -> 1;
            case 1 -> MAX_TTL;
            case 2 -> random.nextLong(2, 61);
            default -> random.nextLong(1, MAX_TTL + 1);
        };
    }

    /** A JSON value that is no valid ttl, of every kind: see {@link #ttlKind}. */
    private static String invalidTtl(SplittableRandom random) {
        String digits = Long.toString(random.nextLong(1, MAX_TTL + 1));
        return switch (random.nextInt(20)) {
            case 0 -> "0";
            case 1 -> "-0";
            case 2 -> "-" + random.nextLong(1, Long.MAX_VALUE);
            case 3 -> Long.toString(MAX_TTL + 1);
            case 4 -> Long.toString(random.nextLong(MAX_TTL + 1, Long.MAX_VALUE));
            case 5 -> random.nextBoolean() ? Long.toString(Long.MAX_VALUE) : Long.toString(Long.MIN_VALUE);
            case 6 -> (random.nextBoolean() ? "" : "-") + "1" + digits(random, random.nextInt(19, 60)); // > 2^63
            case 7 -> digits + ".0";
            case 8 -> digits + "." + random.nextInt(1, 1000);
            case 9 -> "0." + random.nextInt(1, 1000);
            case 10 -> digits + (random.nextBoolean() ? "e" : "E") + new String[] { "", "+", "-" }[random.nextInt(3)]
                    + random.nextInt(0, 4);
            case 11 -> "1e3";
            case 12 -> jsonString(random, digits);
            case 13 -> jsonString(random, asciiString(random, 0, 10));
            case 14 -> "null";
            case 15 -> random.nextBoolean() ? "true" : "false";
            case 16 -> "[" + digits + "]";
            case 17 -> "{\"seconds\":" + digits + "}";
            case 18 -> random.nextBoolean() ? "[]" : "{}";
            default -> {
                String other;
                do {
                    other = jsonValue(random, 2);
                } while (other.matches("-?\\d+") && new BigInteger(other).signum() > 0
                        && new BigInteger(other).compareTo(BigInteger.valueOf(MAX_TTL)) <= 0);
                yield other;
            }
        };
    }

    private static String digits(SplittableRandom random, int count) {
        StringBuilder digits = new StringBuilder(count);
        for (int i = 0; i < count; i++) {
            digits.append((char) ('0' + random.nextInt(10)));
        }
        return digits.toString();
    }

    /** Which kind of invalid ttl the JSON text is, for the labels of a property. */
    private static String ttlKind(String ttlJson) {
        if (ttlJson.matches("-?\\d+")) {
            return new BigInteger(ttlJson).bitLength() < 64 ? "integer out of range" : "beyond 64 bits";
        }
        if (ttlJson.matches("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?")) {
            return "fraction or exponent";
        }
        return ttlJson.startsWith("\"") ? "string" : "null, boolean, object or array";
    }

    private static String object(SplittableRandom random, List<String> fields) {
        StringBuilder out = new StringBuilder(whitespace(random)).append('{');
        for (int i = 0; i < fields.size(); i++) {
            out.append(i == 0 ? "" : ",").append(whitespace(random)).append(fields.get(i)).append(whitespace(random));
        }
        return out.append('}').append(whitespace(random)).toString();
    }

    /** Any JSON value, nested at most {@code depth} deep; the names within an object are distinct. */
    private static String jsonValue(SplittableRandom random, int depth) {
        int kind = random.nextInt(depth > 0 ? 10 : 7);
        return switch (kind) {
            case 0 -> "null";
            case 1 -> random.nextBoolean() ? "true" : "false";
            case 2 -> Long.toString(random.nextLong());
            case 3 -> (random.nextBoolean() ? "-" : "") + random.nextInt(1000) + "." + random.nextInt(1000)
                    + (random.nextBoolean() ? "e" + (random.nextBoolean() ? "-" : "+") + random.nextInt(400) : "");
            case 4, 5 -> jsonString(random, asciiString(random, 0, 20));
            case 6 -> jsonString(random, unicodeString(random, 0, 8));
            case 7 -> {
                List<String> elements = new ArrayList<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    elements.add(jsonValue(random, depth - 1));
                }
                yield "[" + String.join("," + whitespace(random), elements) + "]";
            }
            default -> {
                Map<String, String> fields = new LinkedHashMap<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    fields.putIfAbsent(asciiString(random, 0, 6), jsonValue(random, depth - 1));
                }
                List<String> spelled = new ArrayList<>();
                fields.forEach((name, content) -> spelled.add(jsonString(random, name) + ":" + content));
                yield "{" + String.join(",", spelled) + "}";
            }
        };
    }

    /** Bytes of every sort: random, valid bodies damaged, JSON tokens at random, over the size limit. */
    private static byte[] arbitraryBody(SplittableRandom random) {
        int kind = random.nextInt(100);
        if (kind < 25) {
            byte[] bytes = new byte[length(random, 0, 300)];
            random.nextBytes(bytes);
            return bytes;
        }
        if (kind < 65) {
            byte[] body = validBody(random, asciiString(random, 1, 40), asciiString(random, 0, 40),
                    random.nextBoolean() ? validTtl(random) : null);
            for (int mutations = random.nextInt(1, 4); mutations > 0; mutations--) {
                body = mutate(random, body);
            }
            return body;
        }
        if (kind < 85) {
            String[] tokens = { "{", "}", "[", "]", ":", ",", "\"key\"", "\"value\"", "\"k\\u0065y\"", "\"x\"",
                    "\"v\"", "1", "-2.5e3", "true", "false", "null", " ", "\"", "\\", "\u00e9", "\uFEFF", "\u0000",
                    "\"ttl\"", "0", "86400", "86401" };
            StringBuilder soup = new StringBuilder();
            for (int i = random.nextInt(1, 20); i > 0; i--) {
                soup.append(tokens[random.nextInt(tokens.length)]);
            }
            return soup.toString().getBytes(StandardCharsets.UTF_8);
        }
        if (kind < 92) {
            int size = random.nextInt(MAX_BODY - 200, MAX_BODY + 1500);
            String padding = "p".repeat(Math.max(0, size - 40));
            String body = "{\"key\":\"big\",\"value\":\"v\",\"pad\":\"" + padding + "\"}";
            return body.getBytes(StandardCharsets.US_ASCII);
        }
        String valid = "{\"key\":\"" + asciiString(random, 1, 10).replaceAll("[\"\\\\\\x00-\\x1f]", "k")
                + "\",\"value\":\"v\"}";
        return switch (random.nextInt(6)) {
            case 0 -> new byte[0];
            case 1 -> " \t\r\n".getBytes(StandardCharsets.US_ASCII);
            case 2 -> "null".getBytes(StandardCharsets.US_ASCII);
            case 3 -> ("\uFEFF" + valid).getBytes(StandardCharsets.UTF_8); // a byte order mark
            case 4 -> valid.getBytes(StandardCharsets.UTF_16); // UTF-16 with its byte order mark
            default -> valid.getBytes(Charset.forName("UTF-32LE"));
        };
    }

    private static byte[] mutate(SplittableRandom random, byte[] body) {
        if (body.length == 0) {
            return new byte[] { (byte) random.nextInt(256) };
        }
        int at = random.nextInt(body.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (random.nextInt(6)) {
            case 0 -> { // replace a byte
                byte[] copy = body.clone();
                copy[at] = (byte) random.nextInt(256);
                return copy;
            }
            case 1 -> { // insert a byte, often one that means something to JSON
                out.write(body, 0, at);
                String meaningful = "{}[]\":,\\ 0-eE\u00ff";
                out.write(meaningful.charAt(random.nextInt(meaningful.length())));
                out.write(body, at, body.length - at);
            }
            case 2 -> { // delete a range
                int end = Math.min(body.length, at + random.nextInt(1, 8));
                out.write(body, 0, at);
                out.write(body, end, body.length - end);
            }
            case 3 -> { // duplicate a range
                int end = Math.min(body.length, at + random.nextInt(1, 20));
                out.write(body, 0, end);
                out.write(body, at, body.length - at);
            }
            case 4 -> { // cut off
                out.write(body, 0, at);
            }
            default -> { // flip a bit
                byte[] copy = body.clone();
                copy[at] ^= (byte) (1 << random.nextInt(8));
                return copy;
            }
        }
        return out.toByteArray();
    }

    /** A JSON document of some shape, with whether it was built to be a valid put. */
    private static Shape jsonShape(SplittableRandom random) {
        if (random.nextInt(8) == 0) { // not an object
            String document = switch (random.nextInt(6)) {
                case 0 -> "[" + jsonValue(random, 2) + "," + jsonValue(random, 2) + "]";
                case 1 -> "[{\"key\":\"k\",\"value\":\"v\"}]";
                case 2 -> jsonString(random, asciiString(random, 0, 20));
                case 3 -> Long.toString(random.nextLong());
                case 4 -> random.nextBoolean() ? "true" : "null";
                default -> "[".repeat(random.nextInt(1, 700)) + "]".repeat(random.nextInt(0, 700));
            };
            return new Shape((whitespace(random) + document + whitespace(random)).getBytes(StandardCharsets.UTF_8),
                    false);
        }
        boolean valid = true;
        List<String> fields = new ArrayList<>();
        Set<String> names = new HashSet<>(Set.of("ttl"));
        int ttlKind = random.nextInt(10);
        if (ttlKind < 4) { // a valid ttl, or one of every invalid kind
            fields.add(jsonString(random, "ttl") + ":" + whitespace(random)
                    + (ttlKind < 2 ? Long.toString(validTtl(random)) : invalidTtl(random)));
            valid = ttlKind < 2;
        }
        for (String name : List.of("key", "value")) {
            int kind = random.nextInt(100);
            String content;
            if (kind < 60) {
                content = jsonString(random, asciiString(random, name.equals("key") ? 1 : 0, 256));
            }
            else if (kind < 66) {
                content = jsonString(random, "");
                valid &= name.equals("value");
            }
            else if (kind < 73) {
                content = jsonString(random, asciiString(random, 257, 320));
                valid = false;
            }
            else if (kind < 82) {
                content = jsonString(random, unicodeString(random, 1, 12));
                valid = false;
            }
            else if (kind < 86) {
                content = "null";
                valid = false;
            }
            else if (kind < 92) { // a number, a boolean, an object or an array
                String other;
                do {
                    other = jsonValue(random, 2);
                } while (other.startsWith("\"") || other.equals("null"));
                content = other;
                valid = false;
            }
            else {
                content = null; // missing
                valid = false;
            }
            if (content != null) {
                fields.add(random.nextInt(fields.size() + 1), jsonString(random, name) + ":" + whitespace(random) + content);
                names.add(name);
            }
        }
        for (int extra = random.nextInt(3); extra > 0; extra--) {
            // Not ASCII at times, but no lone surrogates: JSON allows them escaped, Jackson refuses them in names.
            String name = random.nextInt(5) == 0 ? unicodeString(random, 1, 4).replaceAll("\\p{Cs}", "s")
                    : asciiString(random, 0, 10);
            if (names.add(name)) {
                fields.add(random.nextInt(fields.size() + 1), jsonString(random, name) + ":" + jsonValue(random, 3));
            }
        }
        if (!fields.isEmpty() && random.nextInt(10) == 0) { // a field given twice, spelled the same or not
            String field = fields.get(random.nextInt(fields.size()));
            fields.add(random.nextInt(fields.size() + 1), field);
            valid = false;
        }
        String document = object(random, fields);
        if (random.nextInt(12) == 0) { // something after the object
            document += new String[] { "{}", "x", ",", "\"\"", "0", "}", "null", "[]" }[random.nextInt(8)];
            valid = false;
        }
        byte[] body = document.getBytes(StandardCharsets.UTF_8);
        return new Shape(body, valid && body.length <= MAX_BODY);
    }

    /** A query string for {@code GET /get}: well-formed or not, with one key, none or several. */
    private static Query queryCase(SplittableRandom random) {
        String key;
        int kind = random.nextInt(100);
        if (kind < 75) {
            key = asciiString(random, 1, MAX_KEY);
        }
        else if (kind < 82) {
            key = asciiString(random, MAX_KEY + 1, MAX_KEY + 40);
        }
        else if (kind < 90) {
            key = unicodeString(random, 1, 6).replaceAll("\\p{Cs}", "x"); // UTF-8 cannot carry lone surrogates
        }
        else {
            key = "";
        }
        String query = queryWithKey(random, encodeQueryComponent(random, key));
        int shape = random.nextInt(100);
        if (shape < 35) { // damaged
            for (int faults = random.nextInt(1, 4); faults > 0; faults--) {
                String[] faultsToInsert = { "%", "%z", "%zz", "%4", "%C3", "%c3", "%FF", "%e9", "%C0%80", "%ED%A0%80",
                        "%F0%9F", "%00", "+", "=", "=x", "&=x", "&key=", "&key=a", "&&", "key" };
                String fault = random.nextInt(4) == 0
                        ? String.valueOf(QUERY_REFUSED.charAt(random.nextInt(QUERY_REFUSED.length())))
                        : faultsToInsert[random.nextInt(faultsToInsert.length)];
                int at = random.nextInt(query.length() + 1);
                query = query.substring(0, at) + fault + query.substring(at);
            }
        }
        else if (shape < 45) { // long
            int length = random.nextBoolean() ? random.nextInt(100, 7000) : random.nextInt(8300, 20000);
            String filler = random.nextBoolean() ? "x".repeat(length) : "%41".repeat(length / 3);
            query = random.nextBoolean() ? query + "&pad=" + filler : "pad=" + filler + "&" + query;
        }
        else if (shape < 50) { // many parameters
            query = "a&".repeat(random.nextBoolean() ? random.nextInt(1, 900) : random.nextInt(1020, 1500)) + query;
        }
        else if (shape < 57) { // characters at random
            StringBuilder soup = new StringBuilder();
            for (int i = random.nextInt(0, 40); i > 0; i--) {
                soup.append(random.nextInt(8) == 0 ? QUERY_REFUSED.charAt(random.nextInt(QUERY_REFUSED.length()))
                        : (QUERY_SAFE + "[]").charAt(random.nextInt(QUERY_SAFE.length() + 2)));
            }
            query = soup.toString();
        }
        return new Query(query, random.nextBoolean() ? asciiString(random, 0, 30) : null);
    }

    /** The query with {@code key=<encoded>}, among other parameters or none, sometimes with the name escaped. */
    private static String queryWithKey(SplittableRandom random, String encodedKey) {
        String[] names = { "key", "key", "key", "k%65y", "%6B%65%79", "%6b%65%79" };
        List<String> parameters = new ArrayList<>();
        parameters.add(names[random.nextInt(names.length)] + "=" + encodedKey);
        for (int others = random.nextInt(3) == 0 ? random.nextInt(1, 4) : 0; others > 0; others--) {
            String name = "p" + encodeQueryComponent(random, asciiString(random, 0, 5));
            String parameter = random.nextInt(4) == 0 ? name : name + "=" + encodeQueryComponent(random,
                    asciiString(random, 0, 10));
            parameters.add(random.nextInt(parameters.size() + 1), parameter);
        }
        String separator = random.nextInt(6) == 0 ? "&&" : "&";
        return (random.nextInt(8) == 0 ? "&" : "") + String.join(separator, parameters);
    }

    /**
     * The text percent-encoded as UTF-8, spelled at random: unreserved characters as themselves or escaped,
     * space as {@code +} or {@code %20}, hex digits in either case.
     */
    private static String encodeQueryComponent(SplittableRandom random, String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xFF);
            if (UNRESERVED.indexOf(c) >= 0 && random.nextInt(10) != 0) {
                out.append(c);
            }
            else if (c == ' ' && random.nextBoolean()) {
                out.append('+');
            }
            else {
                String hex = String.format("%%%02X", b & 0xFF);
                out.append(random.nextBoolean() ? hex : hex.toLowerCase(Locale.ROOT));
            }
        }
        return out.toString();
    }

    /** A request whose request line or headers are too long, too many, or malformed. */
    private static HeaderCase headerCase(SplittableRandom random) {
        int kind = random.nextInt(100);
        String method = kind < 40 ? "GET" : kind < 50 ? "DELETE" : kind < 85 ? "POST" : methodToken(random);
        String targetSuffix = "";
        List<String> headers = new ArrayList<>();
        for (int kinds = random.nextInt(1, 3); kinds > 0; kinds--) {
            switch (random.nextInt(9)) {
                case 0, 1 -> headers.add("X-Big: " + "a".repeat(random.nextInt(100, 30_000)));
                case 2 -> {
                    int count = random.nextInt(10, 1_500);
                    for (int i = 0; i < count; i++) {
                        headers.add("X-H" + i + ": v");
                    }
                }
                case 3 -> targetSuffix += (method.equals("POST") ? "?" : "&") + "pad="
                        + "p".repeat(random.nextInt(100, 30_000));
                case 4 -> headers.add(new String[] { "Bad Header: x", "X(: y", ": empty-name", "NoColon",
                        "\u0001X: y", "X\u007f: y" }[random.nextInt(6)]);
                case 5 -> headers.add("X-Value: " + new String[] { "a\u0001b", "a\u007fb", "caf\u00e9", "\u00ff\u00fe",
                        "a\u0000b" }[random.nextInt(5)]);
                case 6 -> {
                    headers.add("X-Folded: a");
                    headers.add(" b"); // obsolete line folding
                }
                case 7 -> headers.add("Host: " + "h".repeat(random.nextInt(1, 20_000)));
                default -> headers.add("Accept: " + "application/json;q=0.5,".repeat(random.nextInt(1, 600)));
            }
        }
        return new HeaderCase(method, targetSuffix, headers);
    }

    /** A method token (RFC 9110 tchars) that HTTP does not define, short or several kilobytes long. */
    private static String methodToken(SplittableRandom random) {
        String tchars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~";
        int length = random.nextBoolean() ? random.nextInt(1, 20) : random.nextInt(3_000, 12_000);
        StringBuilder method = new StringBuilder("X");
        while (method.length() < length) {
            method.append(tchars.charAt(random.nextInt(tchars.length())));
        }
        return method.toString();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Shrinking: smaller variants of a failing input, tried in order
    // ---------------------------------------------------------------------------------------------------------

    private static List<Entry> shrinkEntry(Entry entry) {
        List<Entry> smaller = new ArrayList<>();
        if (entry.spelling() != 0) {
            smaller.add(new Entry(entry.key(), entry.value(), 0, entry.ttl()));
        }
        if (entry.ttl() != null) {
            smaller.add(new Entry(entry.key(), entry.value(), entry.spelling(), null));
        }
        for (String key : shrinkString(entry.key())) {
            if (!key.isEmpty()) {
                smaller.add(new Entry(key, entry.value(), entry.spelling(), entry.ttl()));
            }
        }
        for (String value : shrinkString(entry.value())) {
            smaller.add(new Entry(entry.key(), value, entry.spelling(), entry.ttl()));
        }
        return smaller;
    }

    private static List<String> shrinkString(String text) {
        return shrinkBytes(text.getBytes(StandardCharsets.ISO_8859_1)).stream()
                .map(bytes -> new String(bytes, StandardCharsets.ISO_8859_1))
                .toList();
    }

    /** The bytes without one chunk: halves first, then quarters, and so on down to single bytes. */
    private static List<byte[]> shrinkBytes(byte[] bytes) {
        List<byte[]> smaller = new ArrayList<>();
        for (int chunk = Math.max(1, bytes.length / 2); chunk >= 1 && smaller.size() < 48; chunk /= 2) {
            for (int at = 0; at + chunk <= bytes.length && smaller.size() < 48; at += chunk) {
                byte[] without = new byte[bytes.length - chunk];
                System.arraycopy(bytes, 0, without, 0, at);
                System.arraycopy(bytes, at + chunk, without, at, bytes.length - at - chunk);
                smaller.add(without);
            }
            if (chunk == 1) {
                break;
            }
        }
        return smaller;
    }

    private static List<HeaderCase> shrinkHeaders(HeaderCase request) {
        List<HeaderCase> smaller = new ArrayList<>();
        if (!request.targetSuffix().isEmpty()) {
            smaller.add(new HeaderCase(request.method(), "", request.headers()));
            smaller.add(new HeaderCase(request.method(),
                    request.targetSuffix().substring(0, request.targetSuffix().length() / 2), request.headers()));
        }
        for (int i = request.headers().size() - 1; i >= 0; i--) {
            List<String> fewer = new ArrayList<>(request.headers());
            fewer.remove(i);
            smaller.add(new HeaderCase(request.method(), request.targetSuffix(), fewer));
        }
        for (int i = 0; i < request.headers().size(); i++) {
            String header = request.headers().get(i);
            if (header.length() > 40) {
                List<String> shorter = new ArrayList<>(request.headers());
                shorter.set(i, header.substring(0, header.length() / 2));
                smaller.add(new HeaderCase(request.method(), request.targetSuffix(), shorter));
            }
        }
        return smaller;
    }

    // ---------------------------------------------------------------------------------------------------------
    // The runner
    // ---------------------------------------------------------------------------------------------------------

    @FunctionalInterface
    interface Check<T> {

        /** Throws if the property does not hold for the sample; else says which kind of sample it was. */
        String check(T sample);
    }

    /**
     * Checks the property on {@code tries} generated samples. On a failure, shrinks the sample (as long as a
     * smaller one still fails, within a budget) and fails with the seed, the smallest failing sample and its
     * failure. Returns how many samples of each kind were checked.
     */
    private static <T> Map<String, Integer> forAll(String name, int tries, Function<SplittableRandom, T> generator,
            Function<T, List<T>> shrinker, Check<T> property) {
        long seed = Long.getLong("kvcache.pbt.seed", new SplittableRandom().nextLong());
        int count = Integer.getInteger("kvcache.pbt.tries", tries);
        SplittableRandom root = new SplittableRandom(seed);
        Map<String, Integer> labels = new TreeMap<>();
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            T sample = generator.apply(root.split());
            Throwable failure = failure(property, sample, labels);
            if (failure != null) {
                T smallest = sample;
                int budget = 300;
                for (boolean progress = true; progress && budget > 0;) {
                    progress = false;
                    for (T candidate : shrinker.apply(smallest)) {
                        if (--budget < 0) {
                            break;
                        }
                        Throwable smaller = failure(property, candidate, null);
                        if (smaller != null) {
                            smallest = candidate;
                            failure = smaller;
                            progress = true;
                            break;
                        }
                    }
                }
                throw new AssertionError(String.format("Property %s failed on try %d of %d (seed %d; replay with "
                        + "-Dkvcache.pbt.seed=%d).%nSmallest failing sample found: %s%nFailure: %s", name, i + 1,
                        count, seed, seed, describe(smallest), failure.getMessage()), failure);
            }
        }
        System.out.printf("Property %s: %d tries in %d ms, seed %d, %s%n", name, count,
                (System.nanoTime() - start) / 1_000_000, seed, labels);
        return labels;
    }

    private static <T> Throwable failure(Check<T> property, T sample, Map<String, Integer> labels) {
        try {
            String label = property.check(sample);
            if (labels != null) {
                labels.merge(label, 1, Integer::sum);
            }
            return null;
        }
        catch (AssertionError | RuntimeException ex) {
            return ex;
        }
    }

    /** The sample readably: bytes and strings with what is not printable ASCII escaped, cut short if long. */
    private static String describe(Object sample) {
        String text;
        if (sample instanceof byte[] bytes) {
            text = "bytes " + escape(new String(bytes, StandardCharsets.ISO_8859_1)) + " (" + bytes.length + ")";
        }
        else if (sample instanceof Shape shape) {
            text = "body " + escape(new String(shape.body(), StandardCharsets.ISO_8859_1)) + " ("
                    + shape.body().length + " bytes)";
        }
        else if (sample instanceof Entry entry) {
            text = "key " + escape(entry.key()) + ", value " + escape(entry.value()) + ", spelling "
                    + entry.spelling() + ", ttl " + (entry.invalidTtl() != null ? escape(entry.invalidTtl())
                            : entry.ttl());
        }
        else if (sample instanceof Query query) {
            text = "query " + escape(query.query()) + ", value stored first " + escape(query.valueToStore());
        }
        else if (sample instanceof HeaderCase request) {
            text = "request " + escape(request.text("<marker>"));
        }
        else {
            text = String.valueOf(sample);
        }
        return text.length() > 3000 ? text.substring(0, 3000) + "... (" + text.length() + " characters)" : text;
    }

    private static String escape(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
                out.append(c);
            }
            else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        return out.append('"').toString();
    }

    // ---------------------------------------------------------------------------------------------------------
    // HTTP
    // ---------------------------------------------------------------------------------------------------------

    private HttpResponse<String> postJson(byte[] body) {
        return http.post("/put", "application/json", BodyPublishers.ofByteArray(body));
    }

    record RawResponse(int status, String head, String body) {

        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    /**
     * Sends the request as it is (each character one byte) over a new connection and reads the answer until the
     * server closes it. A server that refuses a request may answer and close before it has read all of it; the
     * answer counts if it arrived.
     */
    private RawResponse raw(String request) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            try {
                socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
            }
            catch (SocketException ex) {
                // Answered and closed early: read what was sent.
            }
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    received.write(buffer, 0, n);
                }
            }
            catch (SocketException ex) {
                if (received.size() == 0) {
                    throw new AssertionError("the connection was reset without an answer", ex);
                }
            }
            String response = received.toString(StandardCharsets.ISO_8859_1);
            int bodyStart = response.indexOf("\r\n\r\n");
            if (!response.startsWith("HTTP/1.1 ") || bodyStart < 0) {
                throw new AssertionError("no HTTP answer: " + escape(response.substring(0,
                        Math.min(200, response.length()))));
            }
            return new RawResponse(Integer.parseInt(response.substring(9, 12)), response.substring(0, bodyStart),
                    new String(response.substring(bodyStart + 4).getBytes(StandardCharsets.ISO_8859_1),
                            StandardCharsets.UTF_8));
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
