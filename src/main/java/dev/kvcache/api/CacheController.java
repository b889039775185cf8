package dev.kvcache.api;

import java.io.IOException;
import java.util.Optional;

import dev.kvcache.cache.CacheService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The HTTP face of the cache: {@code POST /put}, {@code GET /get?key=} and {@code DELETE /delete?key=}.
 *
 * <p>The two handlers read the request and write the answer themselves, with readers and writers of the
 * application's {@link JsonMapper} made once, and bodies of known length. Spring's message-converter path
 * (content negotiation, converter lookup, body advice, a chunked answer) cost a quarter of the throughput;
 * see docs/performance.md. Errors still go through {@link ApiExceptionHandler}. The everyday requests reach the
 * handlers through {@link DirectRoutes}, past Spring's annotation-driven adapter; the mappings below answer the rest.
 *
 * <p>A {@code /put} body is read as UTF-8, as RFC 8259 requires of JSON between systems, whatever it looks
 * like: Jackson would otherwise guess UTF-16 or UTF-32 from zero bytes or a byte order mark. (The media type
 * {@code application/json} defines no {@code charset} parameter, so one that is sent changes nothing.)
 */
@RestController
class CacheController {

    private final CacheService cache;
    private final ObjectReader putRequests;
    private final ObjectWriter entries;
    private final byte[] stored;
    private final byte[] deleted;
    private final byte[] notFound;

    CacheController(CacheService cache, JsonMapper json, ObjectProvider<JsonMapperBuilderCustomizer> customizers) {
        this.cache = cache;
        this.putRequests = utf8Only(customizers).readerFor(PutRequest.class);
        this.entries = json.writerFor(EntryResponse.class);
        this.stored = json.writeValueAsBytes(ApiResponse.STORED);
        this.deleted = json.writeValueAsBytes(ApiResponse.DELETED);
        this.notFound = json.writeValueAsBytes(ApiResponse.NOT_FOUND);
    }

    /**
     * The application's JSON mapper, made as Boot makes it (a builder given every customizer), but reading
     * bytes as UTF-8 only. A mapper's factory cannot be swapped afterwards, hence a second one.
     */
    private static JsonMapper utf8Only(ObjectProvider<JsonMapperBuilderCustomizer> customizers) {
        JsonMapper.Builder builder = JsonMapper.builder(
                JsonFactory.builder().disable(TokenStreamFactory.Feature.CHARSET_DETECTION).build());
        customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
        return builder.build();
    }

    @PostMapping(path = "/put", consumes = MediaType.APPLICATION_JSON_VALUE)
    void put(HttpServletRequest request, HttpServletResponse response) throws IOException {
        PutRequest body = putRequests.readValue(request.getInputStream());
        if (body == null) { // the body was the JSON literal null
            throw new BadRequestException(ApiExceptionHandler.NO_BODY);
        }
        JsonNode ttl = body.ttl();
        if (ttl == null) {
            cache.put(body.key(), body.value());
        }
        else if (ttl.isIntegralNumber() && ttl.canConvertToLong()) {
            cache.put(body.key(), body.value(), ttl.longValue());
        }
        else { // null, a fraction, a string, a boolean, an object, an integer beyond 64 bits
            throw new BadRequestException(cache.ttlRule());
        }
        ApiAnswers.write(response, HttpServletResponse.SC_OK, stored);
    }

    @GetMapping("/get")
    void get(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String key = keyParameter(request);
        Optional<String> value = cache.get(key);
        if (value.isPresent()) {
            ApiAnswers.write(response, HttpServletResponse.SC_OK, entries.writeValueAsBytes(EntryResponse.of(key, value.get())));
        }
        else {
            ApiAnswers.write(response, HttpServletResponse.SC_NOT_FOUND, notFound);
        }
    }

    @DeleteMapping("/delete")
    void delete(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (cache.delete(keyParameter(request))) {
            ApiAnswers.write(response, HttpServletResponse.SC_OK, deleted);
        }
        else {
            ApiAnswers.write(response, HttpServletResponse.SC_NOT_FOUND, notFound);
        }
    }

    /**
     * The one {@code key} parameter, read from the servlet request as it came: Spring's conversion would join
     * repeated values with commas, or turn an empty value into no value.
     */
    private static String keyParameter(HttpServletRequest request) {
        String[] keys;
        try {
            keys = request.getParameterValues("key");
        }
        catch (IllegalStateException | IllegalArgumentException ex) {
            // The container could not parse the query (Tomcat: InvalidParameterException, with the decoding
            // failure as cause if there was one); its message quotes the input, so it is not passed on.
            throw new BadRequestException(ApiExceptionHandler.invalidQueryMessage(ex));
        }
        if (keys == null) {
            throw new BadRequestException("Query parameter 'key' is required");
        }
        if (keys.length > 1) {
            throw new BadRequestException("Query parameter 'key' must be given once");
        }
        return keys[0];
    }
}
