package dev.kvcache.system;

import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

import dev.kvcache.support.Http;
import dev.kvcache.support.ServerTest;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationContext;

import static dev.kvcache.support.PrometheusScrape.value;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the dashboard and the alert rules in monitoring/ read, in the Prometheus scrape: request timings as
 * histogram buckets that Prometheus can add up across instances, and readiness as a gauge that follows the probe.
 */
@ServerTest
class MonitoringMetricsTests {

    /** The boundaries of application.properties, as Prometheus labels them, and the bucket that counts everything. */
    private static final List<String> BUCKETS = List.of("1.0E-4", "2.5E-4", "5.0E-4", "0.001", "0.0025", "0.005",
            "0.01", "0.025", "0.05", "0.1", "0.25", "1.0", "+Inf");

    @Autowired
    ApplicationContext context;

    @Autowired
    Http http;

    @Test
    void requestTimingsArePublishedAsHistogramBucketsAtTheConfiguredBoundaries() {
        http.getKey("bucketed-" + UUID.randomUUID());

        String scrape = http.get("/actuator/prometheus").body();
        String series = "http_server_requests_seconds_bucket{exception=\"none\",method=\"GET\",outcome=\"CLIENT_ERROR\","
                + "status=\"404\",uri=\"/get\",le=\"";
        List<String> bounds = Pattern.compile(Pattern.quote(series) + "([^\"]+)\"}").matcher(scrape).results()
                .map(match -> match.group(1)).toList();
        assertThat(bounds).as("buckets of GET /get 404 in\n%s", scrape).containsExactlyElementsOf(BUCKETS);
        assertThat(scrape).contains("# TYPE http_server_requests_seconds histogram");
        double everything = value(scrape, series + "+Inf\"}");
        assertThat(everything).isEqualTo(value(scrape, "http_server_requests_seconds_count{exception=\"none\","
                + "method=\"GET\",outcome=\"CLIENT_ERROR\",status=\"404\",uri=\"/get\"}")).isPositive();
    }

    @Test
    void readinessGaugeFollowsTheReadinessProbe() {
        assertThat(http.get("/actuator/health/readiness").statusCode()).isEqualTo(200);
        assertThat(value(http.get("/actuator/prometheus").body(), "kvcache_ready")).isEqualTo(1.0);
        try {
            AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
            assertThat(http.get("/actuator/health/readiness").statusCode()).isEqualTo(503);
            assertThat(value(http.get("/actuator/prometheus").body(), "kvcache_ready")).isEqualTo(0.0);
        }
        finally {
            AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
        }
        assertThat(value(http.get("/actuator/prometheus").body(), "kvcache_ready")).isEqualTo(1.0);
    }
}
