package dev.kvcache.security;

import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import dev.kvcache.KvCacheApplication;
import dev.kvcache.support.Http;
import dev.kvcache.support.ServerTest;
import dev.kvcache.support.Tokens;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.test.context.NestedTestConfiguration;
import org.springframework.test.context.NestedTestConfiguration.EnclosingConfiguration;
import org.springframework.web.context.WebApplicationContext;
import org.springframework.web.context.support.StandardServletEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Access control with {@code kvcache.auth.token} set, over real HTTP against the whole application: what needs
 * the token, what does not, what every refusal looks like, and what start-up does with a bad token. And that
 * without a token nothing of it is there.
 */
@ServerTest(properties = "kvcache.auth.token=" + AuthTests.TOKEN)
@ExtendWith(OutputCaptureExtension.class)
class AuthTests {

    static final String TOKEN = Tokens.TOKEN;

    static final String BEARER = "Bearer " + TOKEN;

    private static final String STORED = "{\"status\":\"OK\",\"message\":\"Key inserted/updated successfully.\"}";
    private static final String DELETED = "{\"status\":\"OK\",\"message\":\"Key deleted.\"}";
    private static final String MISSING = "{\"status\":\"ERROR\",\"message\":"
            + "\"Authorization required: send the header 'Authorization: Bearer <token>'\"}";
    private static final String INVALID = "{\"status\":\"ERROR\",\"message\":\"Invalid bearer token\"}";
    private static final String CHALLENGE = "Bearer realm=\"kv-cache\"";
    private static final String INVALID_CHALLENGE = "Bearer realm=\"kv-cache\", error=\"invalid_token\"";

    @LocalServerPort
    int port;

    @Autowired
    WebApplicationContext context;

    @Autowired
    Http http;

    @Test
    void withoutTheHeaderPutAndGetAnswer401AndStoreNothing() {
        String key = UUID.randomUUID().toString();
        assertRefused(http.put(key, "v"), MISSING, CHALLENGE);
        assertRefused(http.getKey(key), MISSING, CHALLENGE);
        assertThat(send("GET", "/get?key=" + key, BEARER).statusCode()).as("not stored").isEqualTo(404);
    }

    @Test
    void withoutTheHeaderDeleteAnswers401AndDeletesNothing() {
        String key = UUID.randomUUID().toString();
        assertThat(put(key, "v", BEARER).statusCode()).isEqualTo(200);
        assertRefused(http.deleteKey(key), MISSING, CHALLENGE);
        assertRefused(http.deleteKey("never-" + key), MISSING, CHALLENGE);
        assertThat(send("GET", "/get?key=" + key, BEARER).statusCode()).as("not deleted").isEqualTo(200);
    }

    /** Wrong tokens of every length, the right one in another case or with more after it. */
    static Stream<String> wrongTokens() {
        char last = TOKEN.charAt(TOKEN.length() - 1);
        return Stream.of(
                TOKEN.substring(0, TOKEN.length() - 1) + (char) (last + 1), // same length, last character differs
                (char) (TOKEN.charAt(0) + 1) + TOKEN.substring(1), // same length, first character differs
                TOKEN.substring(0, TOKEN.length() - 1), // a prefix of it
                TOKEN + "x", // it, and more
                TOKEN + TOKEN,
                TOKEN + " x",
                TOKEN.toUpperCase(),
                "x",
                "k".repeat(4_000),
                "kv-T0ken_for.tests~0123456789+/\u00e9"); // non-ASCII where the right token has '='
    }

    @ParameterizedTest
    @MethodSource("wrongTokens")
    void aWrongTokenAnswers401InvalidToken(String token) {
        String key = UUID.randomUUID().toString();
        assertRefused(put(key, "v", "Bearer " + token), INVALID, INVALID_CHALLENGE);
        assertRefused(send("GET", "/get?key=" + key, "Bearer " + token), INVALID, INVALID_CHALLENGE);
        assertThat(send("GET", "/get?key=" + key, BEARER).statusCode()).as("not stored").isEqualTo(404);
        assertThat(put(key, "v", BEARER).statusCode()).isEqualTo(200);
        assertRefused(send("DELETE", "/delete?key=" + key, "Bearer " + token), INVALID, INVALID_CHALLENGE);
        assertThat(send("GET", "/get?key=" + key, BEARER).statusCode()).as("not deleted").isEqualTo(200);
    }

    /** Headers that are not {@code Bearer <token>} at all, sent byte for byte. */
    @ParameterizedTest
    @ValueSource(strings = { "Authorization:", "Authorization: Bearer", "Authorization: Bearer    ",
            "Authorization: " + TOKEN, "Authorization: Bearer:" + TOKEN, "Authorization: Bearer\t" + TOKEN,
            "Authorization: BearerX " + TOKEN, "Authorization: Token " + TOKEN, "Authorization: Basic ",
            "X-Authorization: " + BEARER, "Bearer: " + TOKEN })
    void aHeaderThatIsNoBearerTokenAnswers401(String header) {
        for (String requestLine : new String[] { "GET /get?key=k", "DELETE /delete?key=k" }) {
            Http.RawResponse response = http.raw(requestLine, header);
            assertThat(response.status()).as(requestLine + ", " + header).isEqualTo(401);
            assertThat(header(response, "Content-Type")).isEqualTo("application/json");
            assertThat(header(response, "WWW-Authenticate")).isEqualTo(CHALLENGE);
            assertThat(response.body()).isEqualTo(MISSING);
        }
    }

    @Test
    void basicCredentialsHoldingTheTokenAreRefused() {
        String basic = "Basic " + Base64.getEncoder().encodeToString(("user:" + TOKEN).getBytes(StandardCharsets.UTF_8));
        assertRefused(send("GET", "/get?key=k", basic), MISSING, CHALLENGE);
        assertRefused(send("GET", "/get?key=k", "Basic " + TOKEN), MISSING, CHALLENGE);
    }

    @Test
    void theTokenInTheQueryIsNotAccepted() {
        assertRefused(http.get("/get?key=k&access_token=" + TOKEN), MISSING, CHALLENGE);
        assertRefused(http.send("DELETE", "/delete?key=k&access_token=" + TOKEN, null), MISSING, CHALLENGE);
    }

    @Test
    void withTheTokenPutGetAndDeleteWorkAndAnswerAsWithoutAccessControl() {
        String key = UUID.randomUUID().toString();
        HttpResponse<String> put = put(key, "hello", BEARER);
        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(put.body()).isEqualTo(STORED);
        HttpResponse<String> get = send("GET", "/get?key=" + key, BEARER);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("{\"status\":\"OK\",\"key\":\"" + key + "\",\"value\":\"hello\"}");
        assertThat(get.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(get.headers().firstValue("WWW-Authenticate")).isEmpty();
        HttpResponse<String> delete = send("DELETE", "/delete?key=" + key, BEARER);
        assertThat(delete.statusCode()).isEqualTo(200);
        assertThat(delete.body()).isEqualTo(DELETED);
        assertThat(delete.headers().firstValue("WWW-Authenticate")).isEmpty();
        assertThat(send("GET", "/get?key=" + key, BEARER).statusCode()).as("deleted").isEqualTo(404);

        // The API's own errors, once past the token.
        assertThat(send("GET", "/get?key=never-" + key, BEARER).body())
                .isEqualTo("{\"status\":\"ERROR\",\"message\":\"Key not found\"}");
        assertThat(send("POST", "/put", BEARER, "application/json", "{\"key\":7,\"value\":\"v\"}").body())
                .isEqualTo("{\"status\":\"ERROR\",\"message\":\"Field 'key' must be a string\"}");
        assertThat(send("POST", "/put", BEARER, "application/json", "x".repeat(5000)).statusCode())
                .as("over the body limit").isEqualTo(413);
        assertThat(send("GET", "/nothing", BEARER).statusCode()).isEqualTo(404);
        assertThat(send("DELETE", "/get?key=k", BEARER).statusCode()).isEqualTo(405);
        assertThat(send("DELETE", "/delete?key=never-" + key, BEARER).body())
                .isEqualTo("{\"status\":\"ERROR\",\"message\":\"Key not found\"}");
        assertThat(send("DELETE", "/delete?key=", BEARER).body())
                .isEqualTo("{\"status\":\"ERROR\",\"message\":\"key must not be empty\"}");
        assertThat(send("GET", "/delete?key=k", BEARER).statusCode()).isEqualTo(405);
    }

    /** RFC 9110: the scheme is case-insensitive, and one or more spaces may follow it. */
    @ParameterizedTest
    @ValueSource(strings = { "bearer ", "BEARER ", "bEaReR ", "Bearer   " })
    void theSchemeIsCaseInsensitive(String scheme) {
        String key = UUID.randomUUID().toString();
        assertThat(put(key, "v", scheme + TOKEN).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/get?key=" + key, scheme + TOKEN).statusCode()).isEqualTo(200);
        assertThat(send("DELETE", "/delete?key=" + key, scheme + TOKEN).statusCode()).isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(strings = { "/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness" })
    void healthProbesNeedNoTokenAndIgnoreAWrongOne(String path) {
        for (String authorization : new String[] { null, "Bearer wrong-token-0123456789", "Basic eDp5" }) {
            HttpResponse<String> response = send("GET", path, authorization);
            assertThat(response.statusCode()).as(path + " with " + authorization).isEqualTo(200);
            assertThat(response.body()).contains("\"status\":\"UP\"");
        }
    }

    /** Decision: with a token set, every other Actuator endpoint needs it too (Prometheus can send it). */
    @ParameterizedTest
    @ValueSource(strings = { "/actuator", "/actuator/info", "/actuator/metrics", "/actuator/metrics/cache.gets",
            "/actuator/prometheus" })
    void otherActuatorEndpointsNeedTheToken(String path) {
        assertRefused(http.get(path), MISSING, CHALLENGE);
        assertRefused(send("GET", path, "Bearer wrong-token-0123456789"), INVALID, INVALID_CHALLENGE);
        assertThat(send("GET", path, BEARER).statusCode()).as(path).isEqualTo(200);
    }

    @Test
    void prometheusScrapeWithTheTokenHasTheCacheMetrics() {
        HttpResponse<String> scrape = send("GET", "/actuator/prometheus", BEARER);
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.body()).contains("cache_gets_total{cache=\"kv\",result=\"hit\"}", "jvm_memory_used_bytes{");
    }

    /** No path passes for a probe unless it is one, exactly as sent: no dot segment, encoding or parameter. */
    @ParameterizedTest
    @ValueSource(strings = { "/actuator/health/../prometheus", "/actuator/health/liveness/../../prometheus",
            "/actuator/health/%2e%2e/prometheus", "/actuator/health/%2E%2E/metrics", "/actuator/health/..;/prometheus",
            "/actuator/health;x=y/../prometheus", "/actuator/health/./../info", "/actuator/health%2f..%2fprometheus",
            "/actuator//health/../prometheus", "/actuator/health/", "/actuator/health;x=y", "/actuator/health/x",
            "/actuator/health/../../get?key=k" })
    void nothingElsePassesForAProbe(String path) {
        Http.RawResponse response = http.raw("GET " + path);
        assertThat(response.status()).as(path).isNotEqualTo(200);
        assertThat(response.body()).as(path).doesNotContain("cache_", "jvm", "names", "\"OK\"");
    }

    @Test
    void unknownPathsAndWrongMethodsAnswer401WithoutTheToken() {
        assertRefused(http.get("/nothing"), MISSING, CHALLENGE);
        assertRefused(http.get("/error"), MISSING, CHALLENGE);
        assertRefused(http.get("/actuator/env"), MISSING, CHALLENGE);
        assertRefused(http.send("DELETE", "/get?key=k", null), MISSING, CHALLENGE);
        assertRefused(http.send("GET", "/put", null), MISSING, CHALLENGE);
        assertRefused(http.send("GET", "/delete?key=k", null), MISSING, CHALLENGE);
        assertRefused(http.send("DELETE", "/delete", null), MISSING, CHALLENGE);
    }

    @Test
    void refusedRequestsAreTimedWithStatus401() {
        http.getKey("timed-" + UUID.randomUUID());
        assertThat(send("GET", "/actuator/prometheus", BEARER).body()).contains("status=\"401\"");
    }

    @Test
    void theFilterIsRegistered() {
        assertThat(filterClasses(context)).contains("dev.kvcache.security.BearerTokenFilter");
    }

    // Start-up, each with an application of its own.

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            short-secret-15      | kvcache.auth.token must be at least 16 characters long, was 15
            tiny-token           | kvcache.auth.token must be at least 16 characters long, was 10
            space in-the-token-0 | kvcache.auth.token must contain only visible ASCII characters
            caf\u00e9-token-0123456789   | kvcache.auth.token must contain only visible ASCII characters
            """)
    void anInvalidTokenStopsStartUpNamingThePropertyWithoutShowingIt(String token, String message,
            CapturedOutput output) {
        Throwable failure = catchThrowable(() -> start(Map.of(), "kvcache.auth.token=" + token).close());
        assertThat(failure).as("start-up with token " + token).isNotNull();
        assertThat(messages(failure)).anySatisfy(text -> assertThat(text).contains(message));
        assertThat(messages(failure)).noneSatisfy(text -> assertThat(text).contains(token));
        assertThat(output.getAll()).contains(message).doesNotContain(token);
    }

    @Test
    void aBlankTokenLeavesAccessControlOff() {
        try (ConfigurableApplicationContext app = start(Map.of(), "kvcache.auth.token=   ")) {
            assertThat(filterClasses((WebApplicationContext) app)).noneMatch(name -> name.startsWith("dev.kvcache.security"));
            assertThat(new Http(port(app)).getKey("k").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void theTokenCanComeFromTheEnvironmentVariableAndIsNeverLogged(CapturedOutput output) {
        String token = "env-token-" + UUID.randomUUID();
        try (ConfigurableApplicationContext app = start(Map.of("KVCACHE_AUTH_TOKEN", token))) {
            Http client = new Http(port(app));
            assertThat(client.getKey("k").statusCode()).isEqualTo(401);
            HttpRequest get = client.request("/get?key=k").header("Authorization", "Bearer " + token).GET().build();
            assertThat(client.send(get).statusCode()).isEqualTo(404);
        }
        assertThat(output.getAll()).contains("Access control is on").doesNotContain(token);
    }

    /** Without a token configured: no filter, no header needed, anywhere. */
    @Nested
    @NestedTestConfiguration(EnclosingConfiguration.OVERRIDE)
    @ServerTest
    class WithoutAToken {

        @LocalServerPort
        int port;

        @Autowired
        WebApplicationContext context;

        @Test
        void noFilterIsRegisteredAndNothingNeedsAHeader() {
            assertThat(filterClasses(context)).isNotEmpty().noneMatch(name -> name.startsWith("dev.kvcache.security"));
            assertThat(context.getBeanNamesForType(org.springframework.boot.web.servlet.FilterRegistrationBean.class))
                    .noneMatch(name -> name.toLowerCase().contains("token"));
            Http client = new Http(port);
            String key = UUID.randomUUID().toString();
            assertThat(client.put(key, "v").statusCode()).isEqualTo(200);
            assertThat(client.getKey(key).statusCode()).isEqualTo(200);
            assertThat(client.deleteKey(key).statusCode()).isEqualTo(200);
            assertThat(client.get("/actuator/prometheus").statusCode()).isEqualTo(200);
            assertThat(client.get("/nothing").statusCode()).isEqualTo(404);
        }
    }

    // Helpers

    private HttpResponse<String> put(String key, String value, String authorization) {
        return send("POST", "/put", authorization, "application/json",
                "{\"key\":" + Http.json(key) + ",\"value\":" + Http.json(value) + "}");
    }

    private HttpResponse<String> send(String method, String path, String authorization) {
        return send(method, path, authorization, null, null);
    }

    private HttpResponse<String> send(String method, String path, String authorization, String contentType,
            String body) {
        HttpRequest.Builder request = http.request(path)
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return http.send(request.build());
    }

    private static void assertRefused(HttpResponse<String> response, String body, String challenge) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(401);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue(challenge);
        assertThat(response.body()).isEqualTo(body);
    }

    /** The value of a header in a raw answer, by case-insensitive name. */
    private static String header(Http.RawResponse response, String name) {
        for (String line : response.head().split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    /** Class names of the filters the servlet container really has. */
    private static List<String> filterClasses(WebApplicationContext context) {
        List<String> names = new ArrayList<>();
        context.getServletContext().getFilterRegistrations().values()
                .forEach(registration -> names.add(registration.getClassName()));
        return names;
    }

    /** The application on a free port, with these environment variables (relaxed binding) and properties. */
    private static ConfigurableApplicationContext start(Map<String, Object> environmentVariables,
            String... properties) {
        StandardServletEnvironment environment = new StandardServletEnvironment();
        environment.getPropertySources().addFirst(
                new SystemEnvironmentPropertySource("test-systemEnvironment", environmentVariables));
        return new SpringApplicationBuilder(KvCacheApplication.class).environment(environment)
                .properties("server.port=0")
                .properties(properties)
                .run();
    }

    private static int port(ConfigurableApplicationContext app) {
        return app.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
    }

    private static List<String> messages(Throwable failure) {
        List<String> messages = new ArrayList<>();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.add(String.valueOf(t.getMessage()));
        }
        return Collections.unmodifiableList(messages);
    }
}
