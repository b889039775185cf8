package dev.kvcache.system;

import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import dev.kvcache.support.Http;
import dev.kvcache.support.ServerTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With {@code management.server.port} set, the Actuator answers on that port only, with the same endpoints,
 * and the API stays on the main port alone.
 */
@ServerTest(properties = "management.server.port=0")
class ManagementPortTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    Http api;
    Http management;

    @BeforeEach
    void clients() {
        assertThat(managementPort).isPositive().isNotEqualTo(port);
        api = new Http(port);
        management = new Http(managementPort);
    }

    @ParameterizedTest
    @ValueSource(strings = { "/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness" })
    void probesAnswerOnTheManagementPort(String path) {
        HttpResponse<String> response = management.get(path);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).propertyNames()).isSubsetOf("status", "groups");
        assertThat(JSON.readTree(response.body()).get("status").asString()).isEqualTo("UP");
    }

    @Test
    void theSameEndpointsAreExposedOnTheManagementPort() {
        JsonNode links = JSON.readTree(management.get("/actuator").body()).get("_links");
        assertThat(links.propertyNames()).containsExactlyInAnyOrder("self", "health", "health-path", "info",
                "metrics", "metrics-requiredMetricName", "prometheus");
        assertThat(management.get("/actuator/info").statusCode()).isEqualTo(200);
        assertThat(management.get("/actuator/metrics/cache.gets").statusCode()).isEqualTo(200);
        api.getKey("scrape-" + UUID.randomUUID());
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            HttpResponse<String> scrape = management.get("/actuator/prometheus");
            assertThat(scrape.statusCode()).isEqualTo(200);
            assertThat(scrape.body()).contains("cache_gets_total{cache=\"kv\"", "http_server_requests_seconds_count{");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = { "/actuator", "/actuator/health", "/actuator/health/liveness",
            "/actuator/health/readiness", "/actuator/info", "/actuator/metrics", "/actuator/prometheus" })
    void theMainPortNoLongerHasTheActuator(String path) {
        HttpResponse<String> response = api.get(path);
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.body()).isEqualTo(ActuatorSurfaceTests.NO_SUCH_ENDPOINT);
    }

    @Test
    void theApiStaysOnTheMainPortAlone() {
        String key = "mgmt-" + UUID.randomUUID();
        assertThat(api.put(key, "v").statusCode()).isEqualTo(200);
        assertThat(api.getKey(key).body()).isEqualTo("{\"status\":\"OK\",\"key\":\"" + key + "\",\"value\":\"v\"}");

        HttpResponse<String> put = management.put(key, "other");
        HttpResponse<String> get = management.getKey(key);
        HttpResponse<String> delete = management.deleteKey(key);
        for (HttpResponse<String> response : List.of(put, get, delete)) {
            assertThat(response.statusCode()).as(response.request().method()).isEqualTo(404);
            ActuatorSurfaceTests.assertNoLeak(response);
        }
        assertThat(api.getKey(key).body()).as("the management port stored and deleted nothing")
                .contains("\"value\":\"v\"");

        HttpResponse<String> deleted = api.deleteKey(key);
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(deleted.body()).isEqualTo("{\"status\":\"OK\",\"message\":\"Key deleted.\"}");
        assertThat(api.getKey(key).statusCode()).isEqualTo(404);
    }

    @ParameterizedTest
    @ValueSource(strings = { "/actuator/env", "/actuator/beans", "/actuator/heapdump", "/actuator/threaddump",
            "/actuator/configprops", "/actuator/loggers", "/actuator/mappings", "/actuator/shutdown", "/nothing" })
    void theManagementPortExposesNothingMore(String path) {
        for (HttpResponse<String> response : new HttpResponse[] { management.get(path),
                management.post(path, "application/json", BodyPublishers.ofString("{}")) }) {
            assertThat(response.statusCode()).as(path).isIn(404, 405);
            ActuatorSurfaceTests.assertNoLeak(response);
        }
    }

    /**
     * Asked for directly, {@code /error} on the management port is answered by Boot's management error endpoint
     * ({@code {"timestamp":...,"status":999,"error":"None"}}, 200): odd, but it tells nothing about the service.
     */
    @Test
    void theManagementErrorPathRevealsNothing() {
        for (HttpResponse<String> response : List.of(management.get("/error"),
                management.post("/error", "application/json", BodyPublishers.ofString("{}")))) {
            assertThat(response.body()).doesNotContain("Exception", "exception", "trace", "\tat ", "message", "path");
        }
    }

    /** The metrics seen on the management port count the API's traffic on the main port. */
    @Test
    void metricsOnTheManagementPortCountTheMainPortsTraffic() {
        String metric = "/actuator/metrics/http.server.requests?tag=uri:/get&tag=status:404";
        double before = count(management.get(metric));
        api.getKey("never-" + UUID.randomUUID());
        // The request is timed just after its answer is sent: wait for the count rather than race it.
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(count(management.get(metric))).isEqualTo(before + 1));
    }

    /** Deletes on the main port, by result, in the management port's metrics and its Prometheus scrape. */
    @Test
    void metricsOnTheManagementPortCountTheMainPortsDeletes() {
        String deletedMetric = "/actuator/metrics/cache.deletes?tag=result:deleted";
        String missingMetric = "/actuator/metrics/cache.deletes?tag=result:missing";
        double deleted = value(management.get(deletedMetric));
        double missing = value(management.get(missingMetric));
        String key = "mgmt-delete-" + UUID.randomUUID();
        api.put(key, "v");
        assertThat(api.deleteKey(key).statusCode()).isEqualTo(200);
        assertThat(api.deleteKey(key).statusCode()).isEqualTo(404);
        assertThat(api.deleteKey("never-" + key).statusCode()).isEqualTo(404);
        assertThat(value(management.get(deletedMetric))).isEqualTo(deleted + 1);
        assertThat(value(management.get(missingMetric))).isEqualTo(missing + 2);
        assertThat(management.get("/actuator/prometheus").body())
                .contains("cache_deletes_total{cache=\"kv\",result=\"deleted\"}",
                        "cache_deletes_total{cache=\"kv\",result=\"missing\"}");
    }

    /** The one measurement of a counter. */
    private static double value(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).get("measurements").get(0).get("value").asDouble();
    }

    private static double count(HttpResponse<String> response) {
        if (response.statusCode() == 404) {
            return 0;
        }
        for (JsonNode measurement : JSON.readTree(response.body()).get("measurements")) {
            if (measurement.get("statistic").asString().equals("COUNT")) {
                return measurement.get("value").asDouble();
            }
        }
        throw new AssertionError(response.body());
    }
}
