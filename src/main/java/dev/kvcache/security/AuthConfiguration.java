package dev.kvcache.security;

import java.util.LinkedHashSet;
import java.util.Set;

import dev.kvcache.api.ApiAnswers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.web.PathMappedEndpoints;
import org.springframework.boot.actuate.endpoint.web.WebServerNamespace;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.StringUtils;

/**
 * Access control, only when {@code kvcache.auth.token} is set: without it this configuration is skipped whole,
 * no filter is registered, and requests take exactly the path they take without this package.
 *
 * <p>With a token, every request needs it ({@code /put}, {@code /get}, the Actuator's info, metrics and
 * Prometheus endpoints, and any unknown path, which gets 401 rather than 404) except the health endpoint and
 * its liveness and readiness probes, which orchestrators and the Docker {@code HEALTHCHECK} poll without
 * credentials and which show no details.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(AuthConfiguration.TokenIsSet.class)
class AuthConfiguration {

    private static final Logger log = LoggerFactory.getLogger(AuthConfiguration.class);

    private static final EndpointId HEALTH = EndpointId.of("health");

    @Bean
    FilterRegistrationBean<BearerTokenFilter> bearerTokenFilter(AuthProperties properties,
            ObjectProvider<PathMappedEndpoints> endpoints) {
        String token = properties.validToken(); // stops start-up on a token too short, naming the property
        Set<String> openPaths = openPaths(endpoints.getIfAvailable());
        var filter = new BearerTokenFilter(token, openPaths, ApiAnswers.error(BearerTokenFilter.MISSING_TOKEN),
                ApiAnswers.error(BearerTokenFilter.INVALID_TOKEN));
        var registration = new FilterRegistrationBean<>(filter);
        registration.addUrlPatterns("/*");
        // Inside the http.server.requests filter (HIGHEST_PRECEDENCE + 1), so that refused requests are timed
        // too, and before every other filter, so that a client without the token learns nothing more.
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 2);
        log.info("Access control is on: every request needs 'Authorization: Bearer <token>' but {}", openPaths);
        return registration;
    }

    /**
     * The health endpoint and its probe groups, wherever {@code management.endpoints.web.base-path} and
     * path mappings put them, plus their additional paths on the main port if any are configured.
     */
    private static Set<String> openPaths(PathMappedEndpoints endpoints) {
        Set<String> paths = new LinkedHashSet<>();
        String health = endpoints == null ? null : endpoints.getPath(HEALTH);
        if (health != null) {
            paths.add(health);
            paths.add(health + "/liveness");
            paths.add(health + "/readiness");
            paths.addAll(endpoints.getAdditionalPaths(WebServerNamespace.SERVER, HEALTH));
        }
        return paths;
    }

    /** Matches when {@code kvcache.auth.token} is bound to something other than blanks. */
    static class TokenIsSet extends SpringBootCondition {

        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            String token = Binder.get(context.getEnvironment()).bind("kvcache.auth.token", String.class).orElse(null);
            return StringUtils.hasText(token) ? ConditionOutcome.match("kvcache.auth.token is set")
                    : ConditionOutcome.noMatch("kvcache.auth.token is not set");
        }
    }
}
