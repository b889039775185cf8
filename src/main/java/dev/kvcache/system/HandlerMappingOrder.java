package dev.kvcache.system;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.webmvc.actuate.endpoint.web.WebMvcEndpointHandlerMapping;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * Looks requests up in the API's handler mapping before the Actuator's. The Actuator's mapping comes first by
 * default, and for a path it does not know (every {@code /get} and {@code /put}) it tries each of its patterns
 * in turn, a cost docs/performance.md measures. The two mappings share no path, so the order changes nothing
 * else.
 */
@Configuration(proxyBeanMethods = false)
class HandlerMappingOrder {

    @Bean
    static BeanPostProcessor actuatorMappingAfterTheApi() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                if (bean instanceof WebMvcEndpointHandlerMapping actuator) {
                    actuator.setOrder(Ordered.LOWEST_PRECEDENCE - 100); // after RequestMappingHandlerMapping (0)
                }
                return bean;
            }
        };
    }
}
