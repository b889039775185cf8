package dev.kvcache.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.Request.Method;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.SimpleValidationReportFormat;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvcache.support.Http;
import dev.kvcache.support.ServerTest;
import dev.kvcache.support.Tokens;
import io.swagger.v3.core.util.Yaml;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.test.context.NestedTestConfiguration;
import org.springframework.test.context.NestedTestConfiguration.EnclosingConfiguration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The running server against its documented contract, {@code docs/openapi.yaml}: real answers over real HTTP,
 * each checked by swagger-request-validator for its status, headers and body, for every row of the errors table
 * in {@code docs/api.md}, the successes, access control and the health probes.
 *
 * <p>An answer that belongs to no operation of the document (a wrong method, an unknown path, a request the
 * servlet container refuses whatever it names) is checked against the response in {@code components/responses}
 * that describes it; its {@code x-status} says with which status.
 */
@ServerTest
class OpenApiContractTests {

    static final Path SPECIFICATION = Path.of("docs/openapi.yaml");

    static Contract contract;

    @LocalServerPort
    int port;

    @Autowired
    ApplicationContext context;

    Http http;

    @BeforeAll
    static void readTheContract() {
        contract = Contract.read(SPECIFICATION);
    }

    @BeforeEach
    void client() {
        http = new Http(port);
    }

    /** The validator and the document together are strict: each of these answers breaks the contract. */
    @Test
    void theContractRejectsAnswersItDoesNotDescribe() {
        Request get = getKey("k");
        assertThat(contract.problems(get, answer(500, "{\"status\":\"ERROR\",\"message\":\"Internal error\"}")))
                .as("an undocumented status").isNotEmpty();
        assertThat(contract.problems(get, answer(404, "{\"status\":\"ERROR\",\"message\":\"Key not there\"}")))
                .as("a message outside the documented ones").isNotEmpty();
        assertThat(contract.problems(get, answer(200, "{\"status\":\"OK\",\"key\":5,\"value\":\"v\"}")))
                .as("a number where a string belongs").isNotEmpty();
        assertThat(contract.problems(get, answer(200, "{\"status\":\"OK\",\"key\":\"k\",\"value\":\"v\",\"x\":1}")))
                .as("an undocumented field").isNotEmpty();
        assertThat(contract.problems(get, answer(200, "{\"status\":\"OK\",\"key\":\"k\"}")))
                .as("a missing field").isNotEmpty();
        assertThat(contract.problems(Contract.COMPONENTS + "MethodNotAllowed", Method.GET,
                answer(405, "{\"status\":\"ERROR\",\"message\":\"Method GET is not allowed here; use POST\"}")))
                .as("a 405 without its Allow header").isNotEmpty();
        Answer textPlain = new Answer(200, Map.of("Content-Type", List.of("text/plain")),
                "{\"status\":\"OK\",\"message\":\"Key inserted/updated successfully.\"}");
        assertThat(contract.problems("/put", Method.POST, textPlain)).as("another media type").isNotEmpty();
        assertThat(contract.problems(deleteKey("k"), answer(200, "{\"status\":\"OK\",\"message\":\"Key deleted\"}")))
                .as("a delete's message outside the documented one").isNotEmpty();
        assertThat(contract.problems("/put", Method.POST,
                answer(400, "{\"status\":\"ERROR\",\"message\":\"ttl must be a number\"}")))
                .as("a ttl message outside the documented pattern").isNotEmpty();
    }

    /** The document refuses the same ttl values as the server (ttlsOutsideTheRuleAnswer400AsDocumented). */
    @ParameterizedTest
    @MethodSource("invalidTtls")
    void theContractRejectsPutsWithATtlOutsideTheRule(String ttl) {
        assertThat(contract.requestProblems(putRequest(putBody(UUID.randomUUID().toString(), ttl))))
                .as("ttl %s", ttl).isNotEmpty();
    }

    @Test
    void putAndGetAnswerAsDocumented() {
        String key = UUID.randomUUID().toString();
        String body = "{\"key\":" + Http.json(key) + ",\"value\":\"hello\"}";
        contract.assertExchange(putRequest(body), Answer.of(http.postJson(body)), 200);
        contract.assertExchange(getKey(key), Answer.of(http.getKey(key)), 200);
        String missing = "never-" + UUID.randomUUID();
        contract.assertExchange(getKey(missing), Answer.of(http.getKey(missing)), 404);
    }

    /** The bounds of a put's own ttl, and one between: the request and the answer conform. */
    @ParameterizedTest
    @ValueSource(strings = { "1", "60", "86400" })
    void putsWithATtlWithinTheRuleAnswerAsDocumented(String ttl) {
        String key = UUID.randomUUID().toString();
        String body = putBody(key, ttl);
        contract.assertExchange(putRequest(body), Answer.of(http.postJson(body)), 200);
        contract.assertExchange(getKey(key), Answer.of(http.getKey(key)), 200);
    }

    static Stream<String> invalidTtls() {
        return Stream.of("0", "-1", "86401", "1.5", "1.0", "1e3", "\"10\"", "null", "true", "{}", "[1]",
                "99999999999999999999", "-99999999999999999999");
    }

    /** Each form of ttl the server refuses: 0, negative, over the maximum or 64 bits, a fraction, any non-number. */
    @ParameterizedTest
    @MethodSource("invalidTtls")
    void ttlsOutsideTheRuleAnswer400AsDocumented(String ttl) {
        String key = UUID.randomUUID().toString();
        contract.assertAnswer("/put", Method.POST, Answer.of(http.postJson(putBody(key, ttl))), 400);
        contract.assertExchange(getKey(key), Answer.of(http.getKey(key)), 404);
    }

    @Test
    void deleteAnswersAsDocumented() {
        String key = UUID.randomUUID().toString();
        http.put(key, "v");
        contract.assertExchange(deleteKey(key), Answer.of(http.deleteKey(key)), 200);
        contract.assertExchange(deleteKey(key), Answer.of(http.deleteKey(key)), 404);
        String missing = "never-" + UUID.randomUUID();
        contract.assertExchange(deleteKey(missing), Answer.of(http.deleteKey(missing)), 404);
    }

    @Test
    void everyAsciiCharacterAnEmptyValueAndUnknownFieldsAreDocumentedAsAccepted() {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 128; c++) {
            all.append(c);
        }
        String key = all.toString();
        String body = "{\"key\":" + Http.json(key) + ",\"value\":\"\",\"comment\":[1,true]}";
        HttpResponse<String> put = http.post("/put", "application/json; charset=UTF-8", BodyPublishers.ofString(body));
        contract.assertExchange(SimpleRequest.Builder.post("/put").withContentType("application/json; charset=UTF-8")
                .withBody(body).build(), Answer.of(put), 200);
        contract.assertExchange(getKey(key), Answer.of(http.getKey(key)), 200);
        contract.assertExchange(deleteKey(key), Answer.of(http.deleteKey(key)), 200);
    }

    /** Every refused body of the errors table. */
    @ParameterizedTest
    @ValueSource(strings = { "not json", "{\"key\":\"victim\",\"value\":\"v\"", "{key:\"victim\",value:\"v\"}",
            "{\"key\":\"victim\",\"value\":\"v\",\"key\":\"victim\"}", "{\"key\":\"victim\",\"value\":\"v\"} {}",
            "[\"victim\",\"v\"]", "\"victim\"", "", "null", "{\"key\":\"victim\",\"value\":5}",
            "{\"key\":\"victim\",\"value\":true}", "{\"key\":\"victim\",\"value\":{\"a\":\"b\"}}",
            "{\"key\":\"victim\",\"value\":[\"x\"]}", "{\"key\":7,\"value\":\"v\"}", "{\"key\":\"victim\"}",
            "{\"key\":\"victim\",\"value\":null}", "{\"value\":\"v\"}", "{\"key\":null,\"value\":\"v\"}",
            "{\"key\":\"\",\"value\":\"v\"}", "{\"key\":\"caf\u00e9\",\"value\":\"v\"}",
            "{\"key\":\"caf\\u00e9\",\"value\":\"v\"}", "{\"key\":\"victim\",\"value\":\"caf\\u00e9\"}" })
    void refusedBodiesAnswer400AsDocumented(String body) {
        contract.assertAnswer("/put", Method.POST, Answer.of(http.postJson(body)), 400);
    }

    @Test
    void keysAndValuesOverTheLimitAnswer400AsDocumented() {
        contract.assertAnswer("/put", Method.POST, Answer.of(http.put("k".repeat(257), "v")), 400);
        contract.assertAnswer("/put", Method.POST, Answer.of(http.put("victim", "v".repeat(300))), 400);
        contract.assertAnswer("/get", Method.GET, Answer.of(http.getKey("k".repeat(257))), 400);
        contract.assertAnswer("/delete", Method.DELETE, Answer.of(http.deleteKey("k".repeat(257))), 400);
    }

    /** A number of more than 1000 digits, or nesting deeper than 500 (Jackson's limits), in an ignored field. */
    @Test
    void bodiesBeyondJsonLimitsAnswer400AsDocumented() {
        String longNumber = "{\"key\":\"victim\",\"value\":\"v\",\"n\":1" + "0".repeat(1000) + "}";
        contract.assertAnswer("/put", Method.POST, Answer.of(http.postJson(longNumber)), 400);
        String deep = "{\"key\":\"victim\",\"value\":\"v\",\"n\":" + "[".repeat(600) + "]".repeat(600) + "}";
        contract.assertAnswer("/put", Method.POST, Answer.of(http.postJson(deep)), 400);
    }

    @Test
    void bodiesOverTheSizeLimitAnswer413AsDocumented() {
        String body = "{\"key\":\"big\",\"value\":\"" + "v".repeat(10_000) + "\"}";
        contract.assertAnswer("/put", Method.POST, Answer.of(http.postJson(body)), 413);
        byte[] chunked = body.getBytes(StandardCharsets.US_ASCII);
        contract.assertAnswer("/put", Method.POST, Answer.of(http.postChunked("application/json", chunked)), 413);
    }

    @ParameterizedTest
    @ValueSource(strings = { "text/plain", "application/x-www-form-urlencoded", "application/xml", "" })
    void otherContentTypesAnswer415AsDocumented(String contentType) {
        HttpResponse<String> put = http.post("/put", contentType.isEmpty() ? null : contentType,
                BodyPublishers.ofString("{\"key\":\"victim\",\"value\":\"v\"}"));
        contract.assertAnswer("/put", Method.POST, Answer.of(put), 415);
    }

    /** Missing, repeated, empty, not ASCII (raw or not UTF-8), a nameless parameter, too many parameters. */
    @ParameterizedTest
    @ValueSource(strings = { "/get", "/get?other=1", "/get?key=a&key=b", "/get?key=", "/get?key=caf%C3%A9",
            "/get?key=caf%E9", "/get?=x", "/get?key=a&=x" })
    void badKeyParametersAnswer400AsDocumented(String pathAndQuery) {
        contract.assertAnswer("/get", Method.GET, Answer.of(http.get(pathAndQuery)), 400);
        String delete = pathAndQuery.replace("/get", "/delete");
        contract.assertAnswer("/delete", Method.DELETE, Answer.of(http.send("DELETE", delete, null)), 400);
    }

    @Test
    void tooManyQueryParametersAnswer400AsDocumented() {
        contract.assertAnswer("/get", Method.GET, Answer.of(http.get("/get?key=a" + "&p=1".repeat(1000))), 400);
        contract.assertAnswer("/delete", Method.DELETE,
                Answer.of(http.send("DELETE", "/delete?key=a" + "&p=1".repeat(1000), null)), 400);
    }

    @ParameterizedTest
    @ValueSource(strings = { "?key=%zz", "?key=a%", "?key=%4" })
    void malformedPercentEncodingAnswers400AsDocumented(String query) {
        contract.assertAnswer("/get", Method.GET, Answer.of(http.raw("GET /get" + query)), 400);
        contract.assertAnswer("/delete", Method.DELETE, Answer.of(http.raw("DELETE /delete" + query)), 400);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            GET     | /put
            PUT     | /put
            PATCH   | /put
            DELETE  | /put
            TRACE   | /put
            DELETE  | /get?key=a
            POST    | /get?key=a
            PUT     | /get?key=a
            FOO     | /get?key=a
            GET     | /delete?key=a
            POST    | /delete?key=a
            PUT     | /delete?key=a
            PATCH   | /delete?key=a
            FOO     | /delete?key=a
            TRACE   | /delete?key=a
            TRACE   | /nothing
            POST    | /actuator/health
            DELETE  | /actuator/health/readiness
            """)
    void wrongMethodsAnswer405AsDocumented(String method, String path) {
        contract.assertDescribedBy("MethodNotAllowed", Answer.of(http.send(method, path, null)));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            GET     | /
            GET     | /nothing
            GET     | /put/extra
            GET     | /get/
            GET     | /error
            GET     | /actuator/env
            GET     | /actuator/heapdump
            GET     | /actuator/shutdown
            POST    | /actuator/shutdown
            DELETE  | /remove?key=a
            """)
    void unknownPathsAnswer404AsDocumented(String method, String path) {
        contract.assertDescribedBy("NoSuchEndpoint", Answer.of(http.send(method, path, null)));
    }

    /**
     * What Tomcat refuses before Spring sees it: the whole request as sent, the status, and the operation the
     * request line names, if any, whose documented answers must cover it as well.
     */
    static Stream<Arguments> requestsTheContainerRefuses() {
        String host = "Host: x\r\n";
        return Stream.of(
                Arguments.of("GET /get?key=a<b HTTP/1.1\r\n" + host, 400, "/get"),
                Arguments.of("DELETE /delete?key=a<b HTTP/1.1\r\n" + host, 400, "/delete"),
                Arguments.of("DELETE /delete?key=a HTTP/1.1\r\n" + host + "No colon here\r\n", 400, "/delete"),
                Arguments.of("DELETE /delete?key=a HTTP/1.1\r\n", 400, "/delete"),
                Arguments.of("GET /get?key=a HTTP/1.1x\r\n" + host, 400, null),
                Arguments.of("BR(W /get?key=a HTTP/1.1\r\n" + host, 400, null),
                Arguments.of("GET /get?key=a HTTP/1.1\r\n" + host + "No colon here\r\n", 400, "/get"),
                Arguments.of("POST /put HTTP/1.1\r\n" + host + "No colon here\r\n", 400, "/put"),
                Arguments.of("GET /get?key=a HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip\r\n", 400, "/get"),
                Arguments.of("GET /get?key=a HTTP/2.5\r\n" + host, 400, null),
                Arguments.of("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n", 400, null),
                Arguments.of("GET /../get?key=a HTTP/1.1\r\n" + host, 400, null),
                Arguments.of("GET /get?key=a HTTP/1.1\r\n", 400, "/get"),
                Arguments.of("GET /get?key=a HTTP/1.1\r\n" + host + "Host: y\r\n", 400, "/get"),
                Arguments.of("GET /get?key=a HTTP/1.1\r\n" + host + "Content-Length: 1x\r\n", 400, "/get"),
                Arguments.of("GET /get?key=a HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked, gzip\r\n", 400,
                        "/get"),
                Arguments.of("GET /get?key=" + "k".repeat(10_000) + " HTTP/1.1\r\n" + host, 431, "/get"),
                Arguments.of("GET /get?key=a HTTP/1.1\r\n" + host + "X-Big: " + "b".repeat(20_000) + "\r\n", 431,
                        "/get"),
                Arguments.of("POST /put HTTP/1.1\r\n" + host + "X-Big: " + "b".repeat(20_000) + "\r\n", 431, "/put"),
                Arguments.of("DELETE /delete?key=" + "k".repeat(10_000) + " HTTP/1.1\r\n" + host, 431, "/delete"),
                Arguments.of("GET /get?key=a HTTP/1.1\r\n" + host + "X-H: v\r\n".repeat(150), 431, "/get"));
    }

    @ParameterizedTest
    @MethodSource("requestsTheContainerRefuses")
    void requestsTheContainerRefusesAreAnsweredAsDocumented(String head, int status, String operation) {
        Answer answer = Answer.of(http.rawRequest(head + "\r\n"));
        contract.assertDescribedBy(status == 431 ? "HeaderFieldsTooLarge" : "RequestRefused", answer);
        if (operation != null) {
            Method method = switch (operation) {
                case "/put" -> Method.POST;
                case "/delete" -> Method.DELETE;
                default -> Method.GET;
            };
            contract.assertAnswer(operation, method, answer, status);
        }
    }

    @Test
    void healthAndProbesAnswerAsDocumented() {
        for (String path : List.of("/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness")) {
            contract.assertExchange(SimpleRequest.Builder.get(path).build(), Answer.of(http.get(path)), 200);
            HttpResponse<String> json = http.send("GET", path, "application/json");
            assertThat(json.headers().firstValue("Content-Type")).as(path).hasValue("application/json");
            contract.assertExchange(SimpleRequest.Builder.get(path).withAccept("application/json").build(),
                    Answer.of(json), 200);
        }
    }

    @Test
    void probesAnswer503AsDocumentedWhenNotReadyOrNotLive() {
        try {
            AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
            assertProbe("/actuator/health/readiness", 503);
            assertProbe("/actuator/health", 503);
            assertProbe("/actuator/health/liveness", 200);
        }
        finally {
            AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
        }
        try {
            AvailabilityChangeEvent.publish(context, LivenessState.BROKEN);
            assertProbe("/actuator/health/liveness", 503);
            assertProbe("/actuator/health", 503);
            assertProbe("/actuator/health/readiness", 200);
        }
        finally {
            AvailabilityChangeEvent.publish(context, LivenessState.CORRECT);
        }
        assertProbe("/actuator/health", 200);
    }

    private void assertProbe(String path, int status) {
        contract.assertExchange(SimpleRequest.Builder.get(path).build(), Answer.of(http.get(path)), status);
    }

    /** With {@code kvcache.auth.token} set (the same context as AuthTests, so Spring's test cache shares it). */
    @Nested
    @NestedTestConfiguration(EnclosingConfiguration.OVERRIDE)
    @ServerTest(properties = "kvcache.auth.token=" + Tokens.TOKEN)
    class WithAToken {

        @LocalServerPort
        int port;

        @Test
        void requestsWithoutTheRightTokenAnswer401AsDocumented() {
            Http client = new Http(port);
            contract.assertAnswer("/put", Method.POST, Answer.of(client.put("k", "v")), 401);
            contract.assertAnswer("/get", Method.GET, Answer.of(client.getKey("k")), 401);
            HttpResponse<String> wrong = client.send(client.request("/get?key=k")
                    .header("Authorization", "Bearer wrong-token-of-some-length").GET().build());
            contract.assertAnswer("/get", Method.GET, Answer.of(wrong), 401);
            contract.assertAnswer("/delete", Method.DELETE, Answer.of(client.deleteKey("k")), 401);
            contract.assertDescribedBy("Unauthorized", Answer.of(client.get("/nothing")));
        }

        @Test
        void requestsWithTheTokenAndTheProbesAnswerAsDocumented() {
            Http client = new Http(port);
            String key = UUID.randomUUID().toString();
            String body = "{\"key\":" + Http.json(key) + ",\"value\":\"v\"}";
            HttpResponse<String> put = client.send(client.request("/put").header("Authorization", Tokens.BEARER)
                    .header("Content-Type", "application/json").POST(BodyPublishers.ofString(body)).build());
            contract.assertExchange(SimpleRequest.Builder.post("/put").withAuthorization(Tokens.BEARER)
                    .withContentType("application/json").withBody(body).build(), Answer.of(put), 200);
            HttpResponse<String> get = client.send(client.request("/get?key=" + key)
                    .header("Authorization", Tokens.BEARER).GET().build());
            contract.assertExchange(SimpleRequest.Builder.get("/get").withAuthorization(Tokens.BEARER)
                    .withQueryParam("key", key).build(), Answer.of(get), 200);
            HttpResponse<String> delete = client.send(client.request("/delete?key=" + key)
                    .header("Authorization", Tokens.BEARER).DELETE().build());
            contract.assertExchange(SimpleRequest.Builder.delete("/delete").withAuthorization(Tokens.BEARER)
                    .withQueryParam("key", key).build(), Answer.of(delete), 200);
            for (String path : List.of("/actuator/health", "/actuator/health/liveness",
                    "/actuator/health/readiness")) {
                contract.assertExchange(SimpleRequest.Builder.get(path).build(), Answer.of(client.get(path)), 200);
            }
        }
    }

    private static Request putRequest(String body) {
        return SimpleRequest.Builder.post("/put").withContentType("application/json").withBody(body).build();
    }

    private static Request getKey(String key) {
        return SimpleRequest.Builder.get("/get").withQueryParam("key", key).build();
    }

    private static Request deleteKey(String key) {
        return SimpleRequest.Builder.delete("/delete").withQueryParam("key", key).build();
    }

    /** A put body with the ttl as written ({@code 60}, {@code 1.5}, {@code "10"}, ...). */
    private static String putBody(String key, String ttlJson) {
        return "{\"key\":" + Http.json(key) + ",\"value\":\"v\",\"ttl\":" + ttlJson + "}";
    }

    private static Answer answer(int status, String body) {
        return new Answer(status, Map.of("Content-Type", List.of("application/json")), body);
    }

    /** An answer as received, from the HTTP client or read from a socket. */
    record Answer(int status, Map<String, List<String>> headers, String body) {

        static Answer of(HttpResponse<String> response) {
            return new Answer(response.statusCode(), response.headers().map(), response.body());
        }

        static Answer of(Http.RawResponse response) {
            Map<String, List<String>> headers = new LinkedHashMap<>();
            String[] lines = response.head().split("\r\n");
            for (int i = 1; i < lines.length; i++) { // lines[0] is the status line
                int colon = lines[i].indexOf(':');
                headers.computeIfAbsent(lines[i].substring(0, colon), name -> new ArrayList<>())
                        .add(lines[i].substring(colon + 1).trim());
            }
            return new Answer(response.status(), headers, response.body());
        }

        SimpleResponse toResponse() {
            SimpleResponse.Builder response = SimpleResponse.Builder.status(status);
            headers.forEach(response::withHeader);
            return response.withBody(body).build();
        }

        @Override
        public String toString() {
            return status + " " + headers + " " + body;
        }
    }

    /**
     * {@code docs/openapi.yaml} and a validator for it.
     *
     * <p>The validator (2.46.0) reads the schemas of an OpenAPI 3.1 document without their {@code type} and
     * {@code additionalProperties}, so that a number would pass for a string. The document keeps to what means
     * the same in 3.0 and 3.1; it is checked to parse cleanly as 3.1, then validated as 3.0.3, where every keyword
     * counts ({@link #theContractRejectsAnswersItDoesNotDescribe} proves it).
     *
     * <p>Each response in {@code components/responses} with an {@code x-status} (those no operation owns) gets
     * an operation of its own in the validator's copy, {@code GET /components/responses/<name>}, answering it
     * with that status.
     */
    static final class Contract {

        static final String COMPONENTS = "/components/responses/";

        final OpenApiInteractionValidator validator;

        private Contract(OpenApiInteractionValidator validator) {
            this.validator = validator;
        }

        static Contract read(Path file) {
            String document;
            try {
                document = Files.readString(file);
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            SwaggerParseResult asWritten = new OpenAPIV3Parser().readContents(document, null, parseOptions());
            assertThat(asWritten.getMessages()).as("parsing %s as written", file).isEmpty();
            assertThat(asWritten.getOpenAPI().getOpenapi()).startsWith("3.1.");

            // Parsed as swagger-parser parses YAML, so that both readings see the same document.
            ObjectNode tree = (ObjectNode) readTree(document);
            tree.put("openapi", "3.0.3");
            ObjectNode paths = (ObjectNode) tree.get("paths");
            tree.get("components").get("responses").properties().forEach(response -> {
                JsonNode status = response.getValue().get("x-status");
                if (status != null) {
                    paths.putObject(COMPONENTS + response.getKey()).putObject("get").putObject("responses")
                            .putObject(status.asText()).put("$ref", "#/components/responses/" + response.getKey());
                }
            });
            String as30 = Yaml.pretty(tree);
            SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(as30, null, parseOptions());
            assertThat(parsed.getMessages()).as("parsing %s as 3.0.3", file).isEmpty();
            return new Contract(OpenApiInteractionValidator.createForInlineApiSpecification(as30).build());
        }

        private static ParseOptions parseOptions() {
            ParseOptions options = new ParseOptions();
            options.setResolve(true);
            return options;
        }

        private static JsonNode readTree(String yaml) {
            try {
                return Yaml.mapper().readTree(yaml);
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }

        /** A request the document describes, and the answer: both must conform. */
        void assertExchange(Request request, Answer answer, int status) {
            assertThat(answer.status()).as("%s %s: %s", request.getMethod(), request.getPath(), answer)
                    .isEqualTo(status);
            assertValid(validator.validate(request, answer.toResponse()), answer);
        }

        /** The answer to a request that the operation refuses: the answer must be one the operation documents. */
        void assertAnswer(String path, Method method, Answer answer, int status) {
            assertThat(answer.status()).as("%s %s: %s", method, path, answer).isEqualTo(status);
            assertValid(validator.validateResponse(path, method, answer.toResponse()), answer);
        }

        /** An answer no operation owns, against the response {@code components/responses/<name>} documents. */
        void assertDescribedBy(String name, Answer answer) {
            assertValid(validator.validateResponse(COMPONENTS + name, Method.GET, answer.toResponse()), answer);
        }

        List<ValidationReport.Message> problems(Request request, Answer answer) {
            return validator.validate(request, answer.toResponse()).getMessages();
        }

        List<ValidationReport.Message> problems(String path, Method method, Answer answer) {
            return validator.validateResponse(path, method, answer.toResponse()).getMessages();
        }

        List<ValidationReport.Message> requestProblems(Request request) {
            return validator.validateRequest(request).getMessages();
        }

        private static void assertValid(ValidationReport report, Answer answer) {
            assertThat(report.getMessages()).as("%s%n%s", answer,
                    SimpleValidationReportFormat.getInstance().apply(report)).isEmpty();
        }
    }
}
