package dev.kvcache.floor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.web.HttpRequestHandler;
import org.springframework.web.servlet.handler.SimpleUrlHandlerMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The least a Spring MVC endpoint costs here: {@code GET /get} and {@code POST /put} answer the fixed body nginx
 * answers in bench/nginx.conf (a GET hit's size), written as kv-cache's handlers write theirs (known length, no
 * message converter). A put's body is read (its declared length) and dropped. No store, no JSON parsing, no filters of our own, no
 * metrics: what is left is Tomcat, the DispatcherServlet and the JVM.
 *
 * <p>With {@code --floor.handler=plain} the same answers come from an {@link HttpRequestHandler} that a URL
 * mapping ahead of the annotated controllers finds: Spring MVC without its annotation-driven adapter
 * (argument resolvers, the invocable handler method, the model container).
 */
@SpringBootApplication
public class FloorApplication {

    public static void main(String[] args) {
        SpringApplication.run(FloorApplication.class, args);
    }

    @Bean
    @ConditionalOnProperty(name = "floor.handler", havingValue = "plain")
    SimpleUrlHandlerMapping plainHandlers() {
        HttpRequestHandler handler = (request, response) -> {
            if ("POST".equals(request.getMethod())) {
                FloorController.readBody(request);
            }
            FloorController.answer(response);
        };
        return new SimpleUrlHandlerMapping(Map.of("/get", handler, "/put", handler), Ordered.HIGHEST_PRECEDENCE);
    }

    @RestController
    static class FloorController {

        private static final byte[] BODY = ("{\"status\":\"OK\",\"key\":\"0c8f1b7e-5d3a-4c2e-9f6b-1a2b3c4d5e6f\",\"value\":\""
                + "a".repeat(250) + "\"}").getBytes(StandardCharsets.US_ASCII);

        @GetMapping("/get")
        void get(HttpServletResponse response) throws IOException {
            answer(response);
        }

        @PostMapping("/put")
        void put(HttpServletRequest request, HttpServletResponse response) throws IOException {
            readBody(request);
            answer(response);
        }

        /** Reads a body of declared length into an array of that length, as kv-cache's size limit does. */
        static void readBody(HttpServletRequest request) throws IOException {
            request.getInputStream().readNBytes(Math.max(0, request.getContentLength()));
        }

        static void answer(HttpServletResponse response) throws IOException {
            response.setContentType("application/json");
            response.setContentLength(BODY.length);
            response.getOutputStream().write(BODY);
        }
    }
}
