package dev.kvcache.api;

import dev.kvcache.cache.CacheProperties;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.type.LogicalType;

import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Web-side settings of the API: strict JSON reading, the direct routes and the request body limit of {@code /put}. */
@Configuration(proxyBeanMethods = false)
class ApiConfiguration {

    /**
     * JSON that means something else than it says is refused: numbers or booleans where a string belongs,
     * a field given twice, content after the object.
     */
    @Bean
    JsonMapperBuilderCustomizer strictJson() {
        return builder -> builder
                .withCoercionConfig(LogicalType.Textual, strings -> strings
                        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
    }

    /** The everyday requests straight to the controller's handlers (see {@link DirectRoutes}). */
    @Bean
    DirectRoutes directRoutes(CacheController controller) {
        return new DirectRoutes(controller);
    }

    @Bean
    DirectRoutes.Adapter directRoutesAdapter() {
        return new DirectRoutes.Adapter();
    }

    @Bean
    FilterRegistrationBean<RequestSizeLimitFilter> requestSizeLimitFilter(CacheProperties properties) {
        var registration = new FilterRegistrationBean<>(new RequestSizeLimitFilter(maxBodyBytes(properties)));
        registration.addUrlPatterns("/put");
        return registration;
    }

    /**
     * The longest sensible {@code /put} body: every character of a longest key and value written as a
     * six-byte JSON escape ({@code \u0001}), plus room for the rest of the object and whitespace.
     */
    static long maxBodyBytes(CacheProperties properties) {
        return 6L * (properties.maxKeyLength() + properties.maxValueLength()) + 1024;
    }
}
