package dev.kvcache.api;

import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.stream.Stream;

import dev.kvcache.support.Http;
import dev.kvcache.support.ServerTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP contract, over real HTTP against the whole application on a random port. */
@ServerTest
class CacheApiTests {

    private static final String STORED = "{\"status\":\"OK\",\"message\":\"Key inserted/updated successfully.\"}";
    private static final String NOT_FOUND = "{\"status\":\"ERROR\",\"message\":\"Key not found\"}";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    Http http;

    @Test
    void putThenGetAnswerTheDocumentedBodies() {
        HttpResponse<String> put = http.postJson("{\"key\": \"greeting\", \"value\": \"hello\"}");
        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(put.body()).isEqualTo(STORED);
        assertThat(put.headers().firstValue("Content-Type")).hasValue("application/json");

        HttpResponse<String> get = http.getKey("greeting");
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("{\"status\":\"OK\",\"key\":\"greeting\",\"value\":\"hello\"}");
        assertThat(get.headers().firstValue("Content-Type")).hasValue("application/json");
    }

    @Test
    void unknownKeyAnswers404() {
        HttpResponse<String> get = http.getKey("never-" + UUID.randomUUID());
        assertThat(get.statusCode()).isEqualTo(404);
        assertThat(get.body()).isEqualTo(NOT_FOUND);
        assertThat(get.headers().firstValue("Content-Type")).hasValue("application/json");
    }

    @Test
    void putOverwrites() {
        String key = UUID.randomUUID().toString();
        assertThat(http.put(key, "first").statusCode()).isEqualTo(200);
        assertThat(http.put(key, "second").statusCode()).isEqualTo(200);
        assertThat(valueOf(http.getKey(key))).isEqualTo("second");
    }

    @Test
    void emptyValueIsStored() {
        String key = UUID.randomUUID().toString();
        assertThat(http.put(key, "").statusCode()).isEqualTo(200);
        assertThat(http.getKey(key).body()).isEqualTo("{\"status\":\"OK\",\"key\":\"" + key + "\",\"value\":\"\"}");
    }

    @Test
    void everyAsciiCharacterRoundTripsInKeysAndValues() {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 128; c++) {
            all.append(c);
        }
        String key = all.toString();
        String value = "<a href=\"x\">&amp;</a>\t\\n\n" + key;
        assertThat(http.put(key, value).statusCode()).isEqualTo(200);
        HttpResponse<String> get = http.getKey(key);
        assertThat(get.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(get.body());
        assertThat(body.get("key").asString()).isEqualTo(key);
        assertThat(body.get("value").asString()).isEqualTo(value);
    }

    @Test
    void lengthsCountCharactersAfterJsonUnescaping() {
        String key = "A".repeat(256);
        String escapedKey = "\\u0041".repeat(256); // 1536 bytes on the wire, 256 characters
        String value = "\n".repeat(256);
        assertThat(http.postJson("{\"key\":\"" + escapedKey + "\",\"value\":" + Http.json(value) + "}")
                .statusCode()).isEqualTo(200);
        assertThat(valueOf(http.getKey(key))).isEqualTo(value);
    }

    @Test
    void acceptsJsonWithCharsetAndIgnoresUnknownFields() {
        String key = UUID.randomUUID().toString();
        var put = http.post("/put", "application/json; charset=UTF-8",
                BodyPublishers.ofString("{\"key\":\"" + key + "\",\"value\":\"v\",\"ttl\":5}"));
        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(valueOf(http.getKey(key))).isEqualTo("v");
    }

    @Test
    void answersJsonWhateverTheAcceptHeaderAsks() {
        String key = UUID.randomUUID().toString();
        http.put(key, "v");
        HttpResponse<String> get = http.send("GET", "/get?key=" + key, "text/html");
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.headers().firstValue("Content-Type")).hasValue("application/json");
        HttpResponse<String> missing = http.send("GET", "/nothing", "text/html");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.headers().firstValue("Content-Type")).hasValue("application/json");
    }

    /** Each body is rejected with 400 and the message, and the key {@code "victim"} is never stored. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            {"key":"victim","value":5}                     | Field 'value' must be a string
            {"key":"victim","value":true}                  | Field 'value' must be a string
            {"key":"victim","value":1.5}                   | Field 'value' must be a string
            {"key":"victim","value":{"a":"b"}}             | Field 'value' must be a string
            {"key":"victim","value":["x"]}                 | Field 'value' must be a string
            {"key":7,"value":"v"}                          | Field 'key' must be a string
            {"key":"victim"}                               | value is required
            {"key":"victim","value":null}                  | value is required
            {"value":"v"}                                  | key is required
            {"key":"","value":"v"}                         | key must not be empty
            {"key":"victim","value":"caf\\u00e9"}          | value must contain only ASCII characters (U+0000 to U+007F), found one at index 3
            {"key":"victim","value":"v","key":"victim"}    | Malformed JSON (a field appears twice) at line 1, column 34
            {"key":"victim","value":"v"} {}                | Request body must hold one JSON object and nothing after it
            {"key":"victim","value":"v"                    | Malformed JSON at line 1, column 28
            {key:"victim",value:"v"}                       | Malformed JSON at line 1, column 2
            ["victim","v"]                                 | Request body must be a JSON object: send a JSON object with string fields 'key' and 'value' and, optionally, an integer 'ttl'
            "victim"                                       | Request body must be a JSON object: send a JSON object with string fields 'key' and 'value' and, optionally, an integer 'ttl'
            null                                           | Request body is missing or unreadable: send a JSON object with string fields 'key' and 'value' and, optionally, an integer 'ttl'
            ''                                             | Request body is missing or unreadable: send a JSON object with string fields 'key' and 'value' and, optionally, an integer 'ttl'
            """)
    void badBodiesAnswer400AndStoreNothing(String body, String message) {
        HttpResponse<String> put = http.postJson(body == null ? "" : body);
        assertError(put, 400, message);
        assertThat(http.getKey("victim").statusCode()).isEqualTo(404);
    }

    @Test
    void nonAsciiKeyIsRefusedWhetherEscapedOrRaw() {
        assertError(http.postJson("{\"key\":\"caf\u00e9\",\"value\":\"v\"}"), 400,
                "key must contain only ASCII characters (U+0000 to U+007F), found one at index 3");
        assertError(http.postJson("{\"key\":\"caf\\u00e9\",\"value\":\"v\"}"), 400,
                "key must contain only ASCII characters (U+0000 to U+007F), found one at index 3");
        assertError(http.get("/get?key=caf%C3%A9"), 400,
                "key must contain only ASCII characters (U+0000 to U+007F), found one at index 3");
        assertThat(http.get("/get?key=caf%E9").statusCode()).as("not UTF-8").isEqualTo(400);
        assertThat(http.get("/get?key=caf%C3").statusCode()).as("cut UTF-8").isEqualTo(400);
    }

    @Test
    void limitsAre256CharactersForKeysAndValues() {
        String key = "k".repeat(256);
        assertThat(http.put(key, "v".repeat(256)).statusCode()).isEqualTo(200);
        assertThat(valueOf(http.getKey(key))).hasSize(256);

        assertError(http.put("k".repeat(257), "v"), 400, "key must be at most 256 characters, was 257");
        assertError(http.put("long-value", "v".repeat(257)), 400, "value must be at most 256 characters, was 257");
        assertError(http.getKey("k".repeat(257)), 400, "key must be at most 256 characters, was 257");
        assertThat(http.getKey("long-value").statusCode()).isEqualTo(404);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            /get           | Query parameter 'key' is required
            /get?other=1   | Query parameter 'key' is required
            /get?key=      | key must not be empty
            /get?key=a&key=b | Query parameter 'key' must be given once
            """)
    void badKeyParametersAnswer400(String pathAndQuery, String message) {
        assertError(http.get(pathAndQuery), 400, message);
    }

    @ParameterizedTest
    @ValueSource(strings = { "/get?key=%zz", "/get?key=a%", "/get?key=%4", "/get?key=a%%20" })
    void malformedPercentEncodingAnswers400(String target) {
        Http.RawResponse response = http.raw("GET " + target);
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.head()).contains("Content-Type: application/json");
        assertThat(response.body()).isEqualTo(
                "{\"status\":\"ERROR\",\"message\":\"Query string is not valid: malformed percent-encoding\"}");
    }

    /**
     * What Tomcat refuses before Spring sees it is answered in JSON too, with a message of our own that says what
     * was wrong and quotes nothing of the request. The requests ask for keep-alive, and {@code rawRequest} reads
     * until the server closes (failing after 10 s): the connection is closed after the answer.
     */
    static Stream<Arguments> requestsTheContainerRefuses() {
        String malformed = "Malformed HTTP request: check the path and the Host, Content-Length and Transfer-Encoding headers";
        String tooLarge = "Request line and headers must be at most 8192 bytes together";
        return Stream.of(
                Arguments.of("GET /get?key=a<b HTTP/1.1\r\nHost: x\r\n", 400,
                        "Request target holds a character that must be percent-encoded"),
                Arguments.of("BR(W /get?key=a HTTP/1.1\r\nHost: x\r\n", 400, "Method is not a valid HTTP method name"),
                Arguments.of("GET /get?key=a HTTP/1.1\r\nHost: x\r\nNo colon here\r\n", 400,
                        "A header line is malformed (expected 'Name: value')"),
                Arguments.of("GET /get?key=a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n", 400,
                        "Transfer-Encoding is not supported: send the body with Content-Length or chunked"),
                Arguments.of("GET /get?key=a HTTP/2.5\r\nHost: x\r\n", 400, "HTTP version is not supported: use HTTP/1.1"),
                Arguments.of("GET /../get?key=a HTTP/1.1\r\nHost: x\r\n", 400, malformed),
                Arguments.of("GET /get?key=a HTTP/1.1\r\n", 400, malformed),
                Arguments.of("GET /get?key=a HTTP/1.1\r\nHost: x\r\nHost: y\r\n", 400, malformed),
                Arguments.of("GET /get?key=a HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n", 400, malformed),
                Arguments.of("GET /get?key=a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n", 400,
                        malformed),
                Arguments.of("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n", 400,
                        "Method CONNECT is not supported"),
                Arguments.of("GET /get?key=" + "k".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n", 431, tooLarge),
                Arguments.of("GET /get?key=a HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n", 431,
                        tooLarge),
                Arguments.of("GET /get?key=a HTTP/1.1\r\nHost: x\r\n" + "X-H: v\r\n".repeat(150), 431,
                        "Too many headers: at most 100"));
    }

    /**
     * What Tomcat refuses before Spring sees it is answered in JSON too, with a message of our own that says what
     * was wrong and quotes nothing of the request. The requests ask for keep-alive, and {@code rawRequest} reads
     * until the server closes (failing after 10 s): the connection is closed after the answer.
     */
    @ParameterizedTest
    @MethodSource("requestsTheContainerRefuses")
    void requestsTheContainerRefusesAreAnsweredInJson(String head, int status, String message) {
        Http.RawResponse response = http.rawRequest(head + "\r\n");
        assertThat(response.status()).as(response.head()).isEqualTo(status);
        assertThat(response.head()).contains("Content-Type: application/json");
        assertThat(response.body()).isEqualTo("{\"status\":\"ERROR\",\"message\":\"" + message + "\"}");
        assertThat(http.getKey("a").statusCode()).as("the server is fine afterwards").isIn(200, 404);
    }

    @Test
    void declaredOversizedBodyIsRefusedWith413() {
        String body = "{\"key\":\"big\",\"value\":\"" + "v".repeat(10_000) + "\"}";
        assertError(http.postJson(body), 413, "Request body must be at most 4096 bytes");
        assertThat(http.getKey("big").statusCode()).isEqualTo(404);
    }

    @Test
    void chunkedOversizedBodyIsCutOffWith413() {
        byte[] body = ("{\"key\":\"big-chunked\",\"value\":\"" + "v".repeat(100_000) + "\"}")
                .getBytes(StandardCharsets.US_ASCII);
        assertError(http.postChunked("application/json", body), 413, "Request body must be at most 4096 bytes");
        assertThat(http.getKey("big-chunked").statusCode()).isEqualTo(404);
    }

    @Test
    void chunkedBodyWithinTheLimitIsAccepted() {
        byte[] body = "{\"key\":\"chunked\",\"value\":\"v\"}".getBytes(StandardCharsets.US_ASCII);
        assertThat(http.postChunked("application/json", body).statusCode()).isEqualTo(200);
        assertThat(valueOf(http.getKey("chunked"))).isEqualTo("v");
    }

    @ParameterizedTest
    @ValueSource(strings = { "text/plain", "application/x-www-form-urlencoded", "application/xml" })
    void otherContentTypesAnswer415(String contentType) {
        var put = http.post("/put", contentType, BodyPublishers.ofString("{\"key\":\"victim\",\"value\":\"v\"}"));
        assertError(put, 415, "Content-Type must be application/json");
        assertThat(http.getKey("victim").statusCode()).isEqualTo(404);
    }

    @Test
    void missingContentTypeAnswers415() {
        var put = http.post("/put", null, BodyPublishers.ofString("{\"key\":\"victim\",\"value\":\"v\"}"));
        assertError(put, 415, "Content-Type must be application/json");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            GET    | /put        | Method GET is not allowed here; use POST
            PUT    | /put        | Method PUT is not allowed here; use POST
            DELETE | /get?key=a  | Method DELETE is not allowed here; use GET
            POST   | /get?key=a  | Method POST is not allowed here; use GET
            """)
    void wrongMethodsAnswer405(String method, String path, String message) {
        HttpResponse<String> response = http.send(method, path, null);
        assertError(response, 405, message);
        assertThat(response.headers().firstValue("Allow")).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = { "/", "/nothing", "/put/extra", "/get/", "/actuator/env", "/actuator/beans",
            "/actuator/heapdump", "/actuator/threaddump", "/actuator/configprops", "/actuator/shutdown",
            "/actuator/loggers", "/actuator/mappings", "/error" })
    void unknownPathsAnswer404(String path) {
        HttpResponse<String> response = http.get(path);
        assertThat(response.statusCode()).isIn(404);
        assertThat(response.body()).startsWith("{\"status\":\"ERROR\",\"message\":");
    }

    private static void assertError(HttpResponse<String> response, int status, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.body()).isEqualTo("{\"status\":\"ERROR\",\"message\":" + Http.json(message) + "}");
    }

    private static String valueOf(HttpResponse<String> get) {
        assertThat(get.statusCode()).as(get.body()).isEqualTo(200);
        return JSON.readTree(get.body()).get("value").asString();
    }
}
