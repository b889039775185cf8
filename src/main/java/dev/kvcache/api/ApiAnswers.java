package dev.kvcache.api;

import java.io.IOException;

import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.MediaType;

/**
 * The one way the API's answers are written where Spring MVC's converters do not run (its own handlers, filters,
 * the container's error pages): the error body of {@link ApiResponse}, and the writer that sends a body.
 */
public final class ApiAnswers {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ApiAnswers() {
    }

    /** {@code {"status":"ERROR","message":"..."}}, as every error of the API reads. */
    public static byte[] error(String message) {
        return JSON.writeValueAsBytes(ApiResponse.error(message));
    }

    /** Sends a whole answer: JSON whatever the client's Accept header asks for, with a Content-Length, not chunks. */
    public static void write(HttpServletResponse response, int status, byte[] body) throws IOException {
        response.setStatus(status);
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
