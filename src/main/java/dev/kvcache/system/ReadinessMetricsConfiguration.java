package dev.kvcache.system;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.actuate.endpoint.HealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The readiness probe's answer as the gauge {@code kvcache.ready}: 1 while {@code /actuator/health/readiness}
 * answers UP, 0 while it answers anything else (a snapshot loading, a cluster not safe, the drain after SIGTERM).
 * Prometheus' {@code up} only says that the process answers a scrape; this says whether a load balancer sends it
 * traffic. Read from the health endpoint at each scrape, so it is the probe's own verdict, whatever the readiness
 * group holds.
 */
@Configuration(proxyBeanMethods = false)
class ReadinessMetricsConfiguration {

    @Bean
    MeterBinder readinessMetric(ObjectProvider<HealthEndpoint> health) {
        return registry -> Gauge.builder("kvcache.ready", health, ReadinessMetricsConfiguration::ready)
                .description("1 while the readiness probe answers UP, else 0")
                .register(registry);
    }

    private static double ready(ObjectProvider<HealthEndpoint> health) {
        HealthEndpoint endpoint = health.getIfAvailable();
        HealthDescriptor readiness = endpoint == null ? null : endpoint.healthForPath("readiness");
        if (readiness == null) {
            return Double.NaN; // no readiness group: nothing to report
        }
        return Status.UP.equals(readiness.getStatus()) ? 1 : 0;
    }
}
