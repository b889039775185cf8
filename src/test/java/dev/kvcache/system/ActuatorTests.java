package dev.kvcache.system;

import java.net.http.HttpResponse;
import java.util.UUID;

import dev.kvcache.support.Http;
import dev.kvcache.support.ServerTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/** What operators see: probes, metrics, Prometheus, and nothing more. */
@ServerTest
class ActuatorTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    Http http;

    @Test
    void healthAndBothProbesAreUp() {
        for (String path : new String[] { "/actuator/health", "/actuator/health/liveness",
                "/actuator/health/readiness" }) {
            HttpResponse<String> response = http.get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(200);
            assertThat(json(response).get("status").asString()).as(path).isEqualTo("UP");
            assertThat(response.body()).as("no details leak").doesNotContain("diskSpace", "components");
        }
    }

    @Test
    void exposesExactlyHealthInfoMetricsAndPrometheus() {
        JsonNode links = json(http.get("/actuator")).get("_links");
        assertThat(links.propertyNames()).containsExactlyInAnyOrder("self", "health", "health-path", "info",
                "metrics", "metrics-requiredMetricName", "prometheus");
        assertThat(http.get("/actuator/info").statusCode()).isEqualTo(200);
    }

    @Test
    void cacheMetricsCountRealOperations() {
        double hits = counter("cache.gets", "result:hit");
        double misses = counter("cache.gets", "result:miss");
        double puts = counter("cache.puts", null);
        String key = UUID.randomUUID().toString();

        http.put(key, "v");
        http.put(key, "w");
        http.put("", "rejected");
        http.getKey(key);
        http.getKey(key);
        http.getKey("missing-" + key);

        assertThat(counter("cache.puts", null)).isEqualTo(puts + 2);
        assertThat(counter("cache.gets", "result:hit")).isEqualTo(hits + 2);
        assertThat(counter("cache.gets", "result:miss")).isEqualTo(misses + 1);
        assertThat(counter("cache.size", null)).isGreaterThanOrEqualTo(1);
        assertThat(counter("cache.memory.used", null)).isPositive();
        assertThat(counter("cache.offheap.used", null)).isPositive();
        assertThat(counter("cache.offheap.committed", null))
                .isGreaterThanOrEqualTo(counter("cache.offheap.used", null));
        assertThat(counter("cache.memory.budget", null)).isEqualTo(1536.0 * 1024 * 1024);
    }

    @Test
    void prometheusScrapeHasCacheAndJvmMetricsTaggedKv() {
        http.getKey("scrape-" + UUID.randomUUID());
        HttpResponse<String> scrape = http.get("/actuator/prometheus");
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/plain"));
        assertThat(scrape.body()).contains(
                "cache_gets_total{cache=\"kv\",result=\"hit\"}",
                "cache_gets_total{cache=\"kv\",result=\"miss\"}",
                "cache_puts_total{cache=\"kv\"}",
                "cache_evictions_total{cache=\"kv\"}",
                "cache_size{cache=\"kv\"}",
                "cache_memory_used_bytes{cache=\"kv\"}",
                "cache_memory_budget_bytes{cache=\"kv\"}",
                "jvm_memory_used_bytes{",
                "http_server_requests_seconds_count{");
    }

    @Test
    void httpRequestsAreTimedByRoutePatternNotByRawPath() {
        double puts = timerCount("method:POST", "uri:/put", "status:200");
        double misses = timerCount("method:GET", "uri:/get", "status:404");
        double unknown = timerCount("method:GET", "uri:NOT_FOUND", "status:404");

        http.put("timed-" + UUID.randomUUID(), "v");
        http.getKey("never-" + UUID.randomUUID());
        http.get("/no/such/path/" + UUID.randomUUID());

        assertThat(timerCount("method:POST", "uri:/put", "status:200")).isEqualTo(puts + 1);
        assertThat(timerCount("method:GET", "uri:/get", "status:404")).isEqualTo(misses + 1);
        assertThat(timerCount("method:GET", "uri:NOT_FOUND", "status:404")).isEqualTo(unknown + 1);
        assertThat(http.get("/actuator/prometheus").body())
                .contains("http_server_requests_seconds_count{exception=\"none\",method=\"POST\",outcome=\"SUCCESS\",status=\"200\",uri=\"/put\"}")
                .doesNotContain("uri=\"/no/such/path");
    }

    @Test
    void metricsCanBeListedAndRead() {
        JsonNode names = json(http.get("/actuator/metrics")).get("names");
        assertThat(names.valueStream().map(JsonNode::asString)).contains("cache.gets", "cache.puts",
                "cache.evictions", "cache.size", "cache.memory.used", "cache.memory.budget", "jvm.memory.used");
    }

    /** Requests recorded so far under these tags; 0 before the first. */
    private double timerCount(String... tags) {
        HttpResponse<String> response = http.get("/actuator/metrics/http.server.requests?tag=" + String.join("&tag=", tags));
        if (response.statusCode() == 404) {
            return 0;
        }
        for (JsonNode measurement : json(response).get("measurements")) {
            if (measurement.get("statistic").asString().equals("COUNT")) {
                return measurement.get("value").asDouble();
            }
        }
        throw new AssertionError("no COUNT in " + response.body());
    }

    private double counter(String name, String tag) {
        HttpResponse<String> response = http.get("/actuator/metrics/" + name + (tag == null ? "" : "?tag=" + tag));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json(response).get("measurements").get(0).get("value").asDouble();
    }

    private static JsonNode json(HttpResponse<String> response) {
        return JSON.readTree(response.body());
    }
}
