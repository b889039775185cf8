package dev.kvcache.api;

import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

import dev.kvcache.api.ApiGenerators.HeaderCase;
import dev.kvcache.api.ApiGenerators.Query;
import dev.kvcache.api.ApiModel.GetExpectation;
import dev.kvcache.api.ApiModel.GetKind;
import dev.kvcache.api.ApiModel.PutExpectation;
import dev.kvcache.api.RawHttp.RawResponse;
import dev.kvcache.cache.CacheService;
import dev.kvcache.support.Http;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static dev.kvcache.api.ApiModel.DELETED;
import static dev.kvcache.api.ApiModel.MAX_HEADER_BYTES;
import static dev.kvcache.api.ApiModel.NOT_FOUND;
import static dev.kvcache.api.ApiModel.STORED;
import static dev.kvcache.api.ApiModel.expectedGet;
import static dev.kvcache.api.ApiModel.expectedKeyQuery;
import static dev.kvcache.api.ApiModel.expectedPut;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checks of {@link ApiPropertyTests}: a sample sent to the running service, its answer held against
 * {@link ApiModel}, and the invariants of every answer and refusal asserted.
 */
final class ApiChecks {

    private static final int MAX_MESSAGE = 200;
    private static final int ECHO_WINDOW = 16;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final CacheService cache;

    private final Http http;

    private final RawHttp raw;

    ApiChecks(CacheService cache, Http http, RawHttp raw) {
        this.cache = cache;
        this.http = http;
        this.raw = raw;
    }

    String checkPut(byte[] body) {
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
    static boolean expiredSince(long sentNanos, Long ttl) {
        return ttl != null && System.nanoTime() - sentNanos >= ttl * 1_000_000_000L;
    }

    String checkDelete(Query query) {
        GetExpectation asGet = expectedGet(query.query());
        GetExpectation expected = expectedKeyQuery("DELETE /delete?", query.query());
        String get = "GET /get?" + query.query() + " HTTP/1.0\r\n\r\n";
        String delete = "DELETE /delete?" + query.query() + " HTTP/1.0\r\n\r\n";
        if (expected.kind() == GetKind.KEY && asGet.kind() == GetKind.KEY && query.valueToStore() != null) {
            assertThat(http.put(expected.key(), query.valueToStore()).statusCode()).isEqualTo(200);
            RawResponse found = raw.send(get);
            assertFound(found.status(), found.body(), expected.key(), query.valueToStore());
            assertAnswer(raw.send(delete), 200, DELETED);
            assertAnswer(raw.send(delete), 404, NOT_FOUND);
            assertAnswer(raw.send(get), 404, NOT_FOUND);
            return "deleted";
        }
        RawResponse response = raw.send(delete);
        assertThat(response.status()).as("never 5xx: %s", response.body()).isLessThan(500);
        assertThat(response.header("Content-Type")).as("Content-Type").isEqualTo("application/json");
        switch (expected.kind()) {
            case KEY -> {
                if (response.status() == 200) { // stored earlier by another property
                    assertAnswer(response, 200, DELETED);
                    assertAnswer(raw.send(delete), 404, NOT_FOUND);
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
                RawResponse refusedGet = raw.send(get);
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

    String checkGet(Query query) {
        GetExpectation expected = expectedGet(query.query());
        if (expected.kind() == GetKind.KEY && query.valueToStore() != null) {
            assertThat(http.put(expected.key(), query.valueToStore()).statusCode()).isEqualTo(200);
        }
        String request = "GET /get?" + query.query() + " HTTP/1.0\r\n\r\n";
        RawResponse response = raw.send(request);
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

    String checkHeaders(HeaderCase request) {
        String marker = "hdr-" + UUID.randomUUID();
        String text = request.text(marker);
        RawResponse response = raw.send(text);
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

    static void assertFound(HttpResponse<String> get, String key, String value) {
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

    HttpResponse<String> postJson(byte[] body) {
        return http.post("/put", "application/json", BodyPublishers.ofByteArray(body));
    }
}
