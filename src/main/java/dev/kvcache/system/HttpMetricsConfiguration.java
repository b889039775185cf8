package dev.kvcache.system;

import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * {@code http.server.requests} from {@link HttpRequestMetricsFilter}, in place of Spring's observation filter
 * (its auto-configuration is excluded in application.properties).
 */
@Configuration(proxyBeanMethods = false)
class HttpMetricsConfiguration {

    @Bean
    FilterRegistrationBean<HttpRequestMetricsFilter> httpRequestMetricsFilter(MeterRegistry registry) {
        var registration = new FilterRegistrationBean<>(new HttpRequestMetricsFilter(registry));
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 1); // around every other filter, as Spring's was
        return registration;
    }
}
