package dev.kvcache.system;

import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.filter.RequestContextFilter;

/**
 * Filters Spring Boot adds that this service does not need on its hot path. The form-content and character
 * encoding filters are switched off in application.properties; this one has no property.
 */
@Configuration(proxyBeanMethods = false)
class FilterConfiguration {

    /**
     * RequestContextFilter exposes the request to code that runs outside the DispatcherServlet, such as other
     * filters; none here needs it, and the DispatcherServlet does the same for the controllers itself. Boot
     * adds its own only when no registration of one exists: this disabled one keeps it out.
     */
    @Bean
    FilterRegistrationBean<RequestContextFilter> noRequestContextFilter() {
        var registration = new FilterRegistrationBean<>(new RequestContextFilter());
        registration.setEnabled(false);
        return registration;
    }
}
