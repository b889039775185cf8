package dev.kvcache.api;

import dev.kvcache.cache.CacheService;
import jakarta.servlet.http.HttpServletRequest;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** The HTTP face of the cache: {@code POST /put} and {@code GET /get?key=}. */
@RestController
class CacheController {

    private final CacheService cache;

    CacheController(CacheService cache) {
        this.cache = cache;
    }

    @PostMapping(path = "/put", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<ApiResponse> put(@RequestBody PutRequest request) {
        cache.put(request.key(), request.value());
        return json(ApiResponse.STORED);
    }

    /**
     * Reads the parameter from the servlet request as it came: Spring's conversion would join repeated
     * values with commas, or turn an empty value into no value.
     */
    @GetMapping("/get")
    ResponseEntity<?> get(HttpServletRequest request) {
        String[] keys = keyParameter(request);
        if (keys == null) {
            throw new BadRequestException("Query parameter 'key' is required");
        }
        if (keys.length > 1) {
            throw new BadRequestException("Query parameter 'key' must be given once");
        }
        String key = keys[0];
        return cache.get(key)
                .<ResponseEntity<?>>map(value -> json(EntryResponse.of(key, value)))
                .orElseGet(() -> ResponseEntity.status(404).contentType(MediaType.APPLICATION_JSON)
                        .body(ApiResponse.NOT_FOUND));
    }

    private static String[] keyParameter(HttpServletRequest request) {
        try {
            return request.getParameterValues("key");
        }
        catch (IllegalStateException | IllegalArgumentException ex) {
            // The container could not decode the query (Tomcat: InvalidParameterException); its message
            // quotes the input, so it is not passed on.
            throw new BadRequestException("Query string is not valid: malformed percent-encoding");
        }
    }

    /** The body is always JSON, whatever the client's Accept header says. */
    private static <T> ResponseEntity<T> json(T body) {
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(body);
    }
}
