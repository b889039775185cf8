package dev.kvcache.support;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.annotation.AliasFor;
import org.springframework.core.env.Environment;

/**
 * A test of the whole application over real HTTP: the server on a random port, and an {@link Http} client for it
 * that the test takes with {@code @Autowired Http http}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@Import(ServerTest.Client.class)
public @interface ServerTest {

    /** Properties of the application under test, as {@code name=value}. */
    @AliasFor(annotation = SpringBootTest.class)
    String[] properties() default {};

    /** The client, asking the environment for the port once the server has started. */
    @TestConfiguration(proxyBeanMethods = false)
    class Client {

        @Bean
        Http http(Environment environment) {
            return new Http(() -> environment.getRequiredProperty("local.server.port", Integer.class));
        }
    }
}
