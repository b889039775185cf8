package dev.kvcache.api;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

import dev.kvcache.support.Http;
import dev.kvcache.support.ServerTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code DELETE /delete} and a put's own {@code ttl}, over real HTTP against the whole application. */
@ServerTest
class DeleteAndTtlTests {

    private static final String DELETED = "{\"status\":\"OK\",\"message\":\"Key deleted.\"}";
    private static final String NOT_FOUND = "{\"status\":\"ERROR\",\"message\":\"Key not found\"}";
    private static final String TTL_RULE = "ttl must be a whole number of seconds from 1 to 86400";

    @Autowired
    Http http;

    @Test
    void deleteOfALiveKeyAnswers200AndTheKeyIsGone() {
        String key = unique();
        http.put(key, "v");
        HttpResponse<String> delete = http.deleteKey(key);
        assertThat(delete.statusCode()).isEqualTo(200);
        assertThat(delete.body()).isEqualTo(DELETED);
        assertThat(delete.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(http.getKey(key).statusCode()).isEqualTo(404);

        HttpResponse<String> again = http.deleteKey(key);
        assertThat(again.statusCode()).as("deleted before").isEqualTo(404);
        assertThat(again.body()).isEqualTo(NOT_FOUND);
    }

    @Test
    void deleteOfAKeyNeverStoredAnswers404() {
        HttpResponse<String> delete = http.deleteKey(unique());
        assertThat(delete.statusCode()).isEqualTo(404);
        assertThat(delete.body()).isEqualTo(NOT_FOUND);
    }

    @Test
    void aKeyWithTtlOfOneSecondAnswersThenExpiresAndItsDeleteAnswers404() {
        String key = unique();
        assertThat(http.put(key, "brief", "1").statusCode()).isEqualTo(200);
        assertThat(http.getKey(key).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> http.getKey(key).statusCode() == 404);
        assertThat(http.deleteKey(key).statusCode()).isEqualTo(404);
    }

    @Test
    void aPutReplacesTheTimeToLiveAlongWithTheValue() throws InterruptedException {
        String longer = unique();
        String shorter = unique();
        http.put(longer, "first", "1");
        http.put(longer, "second"); // the default, 5 minutes
        http.put(shorter, "first", "86400");
        http.put(shorter, "second", "1");
        Thread.sleep(1_500);
        assertThat(http.getKey(longer).body()).contains("second");
        assertThat(http.getKey(shorter).statusCode()).isEqualTo(404);
    }

    @Test
    void ttlAtTheBoundsIsAccepted() {
        for (String ttl : new String[] { "1", "86400", "3600" }) {
            String key = unique();
            assertThat(http.put(key, "v", ttl).statusCode()).as(ttl).isEqualTo(200);
            assertThat(http.getKey(key).statusCode()).as(ttl).isEqualTo(200);
        }
    }

    /** Each is refused with 400 naming the field and its range, and the key is never stored. */
    @ParameterizedTest
    @ValueSource(strings = { "0", "-1", "86401", "1.5", "1.0", "1e3", "\"10\"", "null", "true", "{}", "[1]",
            "99999999999999999999", "-99999999999999999999" })
    void invalidTtlAnswers400AndStoresNothing(String ttl) {
        String key = unique();
        HttpResponse<String> put = http.put(key, "v", ttl);
        assertThat(put.statusCode()).as(put.body()).isEqualTo(400);
        assertThat(put.body()).isEqualTo("{\"status\":\"ERROR\",\"message\":\"" + TTL_RULE + "\"}");
        assertThat(http.getKey(key).statusCode()).isEqualTo(404);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            /delete                | Query parameter 'key' is required
            /delete?other=1        | Query parameter 'key' is required
            /delete?key=           | key must not be empty
            /delete?key=a&key=b    | Query parameter 'key' must be given once
            /delete?key=caf%C3%A9  | key must contain only ASCII characters (U+0000 to U+007F), found one at index 3
            """)
    void deleteReadsAndChecksTheKeyAsGetDoes(String pathAndQuery, String message) {
        for (String method : new String[] { "GET", "DELETE" }) {
            String path = method.equals("GET") ? pathAndQuery.replace("/delete", "/get") : pathAndQuery;
            HttpResponse<String> response = http.send(method, path, null);
            assertThat(response.statusCode()).as(method + " " + path).isEqualTo(400);
            assertThat(response.body()).isEqualTo("{\"status\":\"ERROR\",\"message\":" + Http.json(message) + "}");
        }
        HttpResponse<String> tooLong = http.deleteKey("k".repeat(257));
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(tooLong.body()).contains("key must be at most 256 characters, was 257");
        Http.RawResponse malformed = http.raw("DELETE /delete?key=%zz");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.body()).contains("Query string is not valid: malformed percent-encoding");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            GET    | /delete?key=a | Method GET is not allowed here; use DELETE
            POST   | /delete?key=a | Method POST is not allowed here; use DELETE
            PUT    | /delete?key=a | Method PUT is not allowed here; use DELETE
            DELETE | /put          | Method DELETE is not allowed here; use POST
            """)
    void otherMethodsOnDeleteAnswer405(String method, String path, String message) {
        HttpResponse<String> response = http.send(method, path, null);
        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(response.body()).isEqualTo("{\"status\":\"ERROR\",\"message\":\"" + message + "\"}");
        assertThat(response.headers().firstValue("Allow")).isPresent();
    }

    @Test
    void deletesAreCountedByResult() {
        double deleted = deletes("deleted");
        double missing = deletes("missing");
        String key = unique();
        http.put(key, "v");
        http.deleteKey(key);
        http.deleteKey(key);
        http.deleteKey(unique());
        assertThat(deletes("deleted")).isEqualTo(deleted + 1);
        assertThat(deletes("missing")).isEqualTo(missing + 2);
    }

    private double deletes(String result) {
        String body = http.get("/actuator/metrics/cache.deletes?tag=result:" + result).body();
        return JsonMapper.builder().build().readTree(body).get("measurements").get(0).get("value").asDouble();
    }

    private static String unique() {
        return "k-" + UUID.randomUUID();
    }
}
