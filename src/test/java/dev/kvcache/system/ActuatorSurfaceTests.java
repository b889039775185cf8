package dev.kvcache.system;

import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import dev.kvcache.support.Http;
import dev.kvcache.support.ServerTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Nothing but the documented Actuator endpoints answers, whatever the method, and no answer reveals
 * configuration, environment, server software or a stack trace. {@code CacheApiTests} checks that a GET of the
 * best-known sensitive endpoints is refused; this class checks every method, sub-paths, the endpoints Boot
 * has beyond those, and the bodies of every kind of error.
 */
@ServerTest
class ActuatorSurfaceTests {

    static final String NO_SUCH_ENDPOINT = "{\"status\":\"ERROR\",\"message\":\"No such endpoint: use POST /put, GET /get?key= or DELETE /delete?key=\"}";

    /** Every endpoint Boot and its usual add-ons provide, but the four exposed ones, with their sub-paths. */
    static final List<String> UNEXPOSED = List.of("/actuator/env", "/actuator/env/java.home",
            "/actuator/env/kvcache.auth.token", "/actuator/configprops", "/actuator/configprops/kvcache",
            "/actuator/beans", "/actuator/heapdump", "/actuator/threaddump", "/actuator/loggers",
            "/actuator/loggers/ROOT", "/actuator/loggers/dev.kvcache", "/actuator/mappings", "/actuator/shutdown",
            "/actuator/conditions", "/actuator/scheduledtasks", "/actuator/caches", "/actuator/startup",
            "/actuator/sbom", "/actuator/sbom/application", "/actuator/logfile", "/actuator/httpexchanges",
            "/actuator/auditevents", "/actuator/sessions", "/actuator/flyway", "/actuator/liquibase",
            "/actuator/quartz", "/actuator/integrationgraph", "/actuator/jolokia", "/actuator/refresh",
            "/actuator/restart", "/actuator/pause", "/actuator/features", "/actuator/trace", "/actuator/dump",
            "/actuator/autoconfig", "/env", "/heapdump", "/trace", "/jolokia");

    /** Words that only a stack trace, an exception's text, a framework error page or a version would contain. */
    static final List<String> LEAKS = List.of("Exception", "exception", "\tat ", "at dev.", "at org.", "at java.",
            "trace", "Caused by", "springframework", "tomcat", "Tomcat", "Apache", "Whitelabel", "<html",
            "timestamp", "\"path\"", "java.home", "JAVA_HOME", "kvcache.auth");

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    Http http;

    static Stream<Arguments> unexposedEndpointsAndMethods() {
        List<Arguments> cases = new ArrayList<>();
        for (String path : UNEXPOSED) {
            for (String method : new String[] { "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS" }) {
                cases.add(Arguments.of(method, path));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("unexposedEndpointsAndMethods")
    void unexposedEndpointsAnswer404InJsonWhateverTheMethod(String method, String path) {
        var request = http.request(path);
        if (method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
            // What a client of these endpoints would send: a logger level, a shutdown with an empty body.
            request.method(method, BodyPublishers.ofString("{\"configuredLevel\":\"TRACE\"}"))
                    .header("Content-Type", "application/json");
        }
        else {
            request.method(method, BodyPublishers.noBody());
        }
        HttpResponse<String> response = http.send(request.build());
        assertThat(response.statusCode()).as(method + " " + path).isEqualTo(404);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        if (!method.equals("HEAD")) {
            assertThat(response.body()).isEqualTo(NO_SUCH_ENDPOINT);
        }
        assertNoLeak(response);
    }

    @Test
    void theServiceIsStillUpAfterAShutdownRequest() {
        http.post("/actuator/shutdown", "application/json", BodyPublishers.noBody());
        http.post("/actuator/shutdown", null, BodyPublishers.noBody());
        assertThat(http.get("/actuator/health").statusCode()).isEqualTo(200);
        assertThat(http.put("still-here", "yes").statusCode()).isEqualTo(200);
    }

    /** The exposed endpoints take no writes: another method is refused, without details. */
    @ParameterizedTest
    @MethodSource("exposedPaths")
    void exposedEndpointsRefuseWrites(String path) {
        for (String method : new String[] { "POST", "PUT", "DELETE", "PATCH" }) {
            HttpResponse<String> response = http.send(http.request(path)
                    .method(method, BodyPublishers.ofString("{}")).header("Content-Type", "application/json")
                    .build());
            assertThat(response.statusCode()).as(method + " " + path).isIn(404, 405);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(response.body()).startsWith("{\"status\":\"ERROR\",\"message\":");
            assertNoLeak(response);
        }
    }

    static Stream<String> exposedPaths() {
        return Stream.of("/actuator", "/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness",
                "/actuator/info", "/actuator/metrics", "/actuator/metrics/jvm.memory.used", "/actuator/prometheus");
    }

    /**
     * Health shows a status (and, on {@code /actuator/health}, the names of the two probe groups) and nothing
     * else: no component, no disk path, no details on any sub-path.
     */
    @ParameterizedTest
    @MethodSource("healthSubPaths")
    void healthRevealsNoComponents(String path) {
        HttpResponse<String> response = http.get(path);
        assertNoLeak(response);
        assertThat(response.body()).doesNotContain("diskSpace", "details", "components", "free", "threshold");
        if (response.statusCode() == 200) {
            JsonNode health = JSON.readTree(response.body());
            assertThat(health.propertyNames()).isSubsetOf("status", "groups").contains("status");
            if (health.has("groups")) {
                assertThat(health.get("groups").valueStream().map(JsonNode::asString))
                        .containsExactlyInAnyOrder("liveness", "readiness");
            }
        }
        else {
            assertThat(response.statusCode()).isEqualTo(404);
        }
    }

    static Stream<String> healthSubPaths() {
        return Stream.of("/actuator/health", "/actuator/health/diskSpace", "/actuator/health/ping",
                "/actuator/health/livenessState", "/actuator/health/readinessState", "/actuator/health/ssl",
                "/actuator/health/db");
    }

    /** Info tells the build and the Java runtime, nothing about the machine, the process or the configuration. */
    @Test
    void infoRevealsNoEnvironment() {
        HttpResponse<String> info = http.get("/actuator/info");
        assertThat(info.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(info.body()).propertyNames()).isSubsetOf("build", "java", "git");
        assertThat(info.body()).doesNotContain("\"os\"", "\"process\"", "\"env\"", "pid", "user.dir", "java.home");
    }

    /** Requests that fail in every layer: the servlet container, filters, Spring MVC, the API, the Actuator. */
    static Stream<Arguments> failingRequests() {
        return Stream.of(
                Arguments.of("GET", "/get", null, null),                                  // 400 missing key
                Arguments.of("GET", "/get?key=" + "k".repeat(300), null, null),           // 400 too long
                Arguments.of("POST", "/put", "application/json", "{\"key\":"),            // 400 malformed JSON
                Arguments.of("POST", "/put", "application/json", "[1,2]"),                // 400 not an object
                Arguments.of("POST", "/put", "application/json", "{\"key\":\"a\",\"value\":" + "[".repeat(5000)),
                Arguments.of("POST", "/put", "application/json", "{\"key\":\"a\",\"value\":\"" + "v".repeat(5000) + "\"}"),
                Arguments.of("POST", "/put", "text/plain", "x"),                          // 415
                Arguments.of("POST", "/put", "application/json; charset=ISO-8859-1", "{}"),
                Arguments.of("DELETE", "/put", null, null),                               // 405
                Arguments.of("GET", "/nothing/here", null, null),                         // 404
                Arguments.of("GET", "/error", null, null),
                Arguments.of("POST", "/error", "application/json", "{}"),
                Arguments.of("GET", "/actuator/metrics/no.such.metric", null, null),
                Arguments.of("GET", "/actuator/metrics/jvm.memory.used?tag=no-colon", null, null),
                Arguments.of("GET", "/actuator/metrics/jvm.memory.used?tag=area:nowhere", null, null),
                Arguments.of("GET", "/actuator/health/nothing", null, null));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("failingRequests")
    void noErrorRevealsAStackTraceOrTheServer(String method, String path, String contentType, String body) {
        var request = http.request(path).method(method,
                body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        HttpResponse<String> response = http.send(request.build());
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isBetween(400, 499);
        assertNoLeak(response);
    }

    /** Refusals by Tomcat itself, before any Spring code runs. */
    @Test
    void containerRefusalsRevealNothingEither() {
        List<Http.RawResponse> refusals = List.of(
                http.raw("GET /get?key=" + "k".repeat(10_000)),
                http.raw("GET /get?key=a", "X-Big: " + "b".repeat(20_000)),
                http.raw("GET /get?key=a<b"),
                http.raw("GET /../etc/passwd"),
                http.raw("GET /get?key=a", "Transfer-Encoding: gzip"),
                http.raw("BREW /get?key=a"));
        for (Http.RawResponse response : refusals) {
            assertThat(response.status()).as(response.head()).isBetween(400, 499);
            assertThat(response.head()).doesNotContainIgnoringCase("Server:").doesNotContain("X-Powered-By");
            for (String leak : LEAKS) {
                assertThat(response.body()).as(response.head()).doesNotContain(leak);
            }
        }
    }

    /**
     * A query Tomcat cannot decode, sent to an Actuator endpoint that reads its parameters, is the client's
     * error: 400 in JSON, as on {@code /get}, not a 500 with an ERROR in the log.
     */
    @ParameterizedTest
    @ValueSource(strings = { "/actuator/prometheus?includedNames=%zz", "/actuator/metrics/jvm.memory.used?tag=%zz",
            "/actuator/health?x=%zz", "/actuator/info?%zz" })
    void malformedQueryToTheActuatorAnswers400(String target) {
        Http.RawResponse response = http.raw("GET " + target);
        assertThat(response.status()).as(response.head()).isEqualTo(400);
        assertThat(response.body()).isEqualTo(
                "{\"status\":\"ERROR\",\"message\":\"Query string is not valid: malformed percent-encoding\"}");
    }

    static void assertNoLeak(HttpResponse<String> response) {
        for (String leak : LEAKS) {
            assertThat(response.body()).as("body of %s", response.uri()).doesNotContain(leak);
        }
        assertThat(response.headers().firstValue("Server")).as("Server header").isEmpty();
        assertThat(response.headers().firstValue("X-Powered-By")).isEmpty();
        assertThat(response.headers().firstValue("X-Application-Context")).isEmpty();
    }
}
