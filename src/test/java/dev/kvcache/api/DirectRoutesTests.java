package dev.kvcache.api;

import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.util.UUID;
import java.util.stream.Stream;

import dev.kvcache.support.Http;
import dev.kvcache.support.ServerTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.mock.web.MockHttpServletRequest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The everyday requests take {@link DirectRoutes}; the same requests spelled otherwise (a path parameter, a
 * {@code charset} in the media type) take the annotated controller. Over real HTTP, both ways answer alike, the
 * errors included.
 */
@ServerTest
class DirectRoutesTests {

    @Autowired
    Http http;

    @Autowired
    DirectRoutes routes;

    @Test
    void onlyTheExactRequestsTakeTheDirectWay() {
        assertThat(routes.getHandler(request("GET", "/get", null))).isNotNull();
        assertThat(routes.getHandler(request("POST", "/put", "application/json"))).isNotNull();
        assertThat(routes.getHandler(request("DELETE", "/delete", null))).isNotNull();

        assertThat(routes.getHandler(request("HEAD", "/get", null))).isNull();
        assertThat(routes.getHandler(request("OPTIONS", "/put", null))).isNull();
        assertThat(routes.getHandler(request("POST", "/get", "application/json"))).isNull();
        assertThat(routes.getHandler(request("GET", "/put", null))).isNull();
        assertThat(routes.getHandler(request("POST", "/put", "application/json; charset=UTF-8"))).isNull();
        assertThat(routes.getHandler(request("POST", "/put", "text/plain"))).isNull();
        assertThat(routes.getHandler(request("POST", "/put", null))).isNull();
        assertThat(routes.getHandler(request("GET", "/get;x=1", null))).isNull();
        assertThat(routes.getHandler(request("GET", "/get/", null))).isNull();
        assertThat(routes.getHandler(request("GET", "/%67et", null))).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"key\":\"k\",\"value\":\"v\"}",
        "{\"key\":\"k\",\"value\":\"v\",\"ttl\":60}",
        "{\"key\":\"k\",\"value\":\"v\",\"ttl\":1.5}",
        "{\"key\":\"k\",\"value\":\"v\",\"ttl\":-1}",
        "{\"key\":\"\",\"value\":\"v\"}",
        "{\"key\":\"é\",\"value\":\"v\"}",
        "{\"key\":1,\"value\":\"v\"}",
        "{\"key\":\"k\"}",
        "{\"key\":\"k\",\"key\":\"k\",\"value\":\"v\"}",
        "{\"key\":\"k\",\"value\":\"v\"} {}",
        "{\"key\":\"k\",",
        "[]",
        "null",
        "",
    })
    void aPutAnswersAlikeEitherWay(String body) {
        HttpResponse<String> direct = http.post("/put", "application/json", BodyPublishers.ofString(body));
        HttpResponse<String> annotated = http.post("/put", "application/json; charset=UTF-8",
                BodyPublishers.ofString(body));
        assertAlike(direct, annotated);
    }

    @Test
    void aPutOverTheLimitAnswersAlikeEitherWay() {
        String body = "{\"key\":\"k\",\"value\":\"" + "v".repeat(10_000) + "\"}";
        HttpResponse<String> direct = http.post("/put", "application/json", BodyPublishers.ofString(body));
        HttpResponse<String> annotated = http.post("/put", "application/json; charset=UTF-8",
                BodyPublishers.ofString(body));
        assertThat(direct.statusCode()).isEqualTo(413);
        assertAlike(direct, annotated);
    }

    static Stream<String> getQueries() {
        return Stream.of("key=present", "key=absent", "", "key=", "key=a&key=b", "other=1",
                "key=" + "x".repeat(257));
    }

    @ParameterizedTest
    @MethodSource("getQueries")
    void aGetAnswersAlikeEitherWay(String query) {
        http.put("present", "value");
        assertAlike(http.get("/get?" + query), http.get("/get;way=annotated?" + query));
    }

    @ParameterizedTest
    @ValueSource(strings = { "key=", "key=a&key=b", "other=1" })
    void aFailedDeleteAnswersAlikeEitherWay(String query) {
        assertAlike(delete("/delete?" + query), delete("/delete;way=annotated?" + query));
    }

    /** A query Tomcat cannot decode: sent raw, as a proper client refuses to send it. */
    @ParameterizedTest
    @ValueSource(strings = { "GET /get", "DELETE /delete" })
    void aMalformedQueryAnswersAlikeEitherWay(String methodAndPath) {
        Http.RawResponse direct = http.raw(methodAndPath + "?key=%ZZ");
        Http.RawResponse annotated = http.raw(methodAndPath + ";way=annotated?key=%ZZ");
        assertThat(direct.status()).isEqualTo(400);
        assertThat(annotated.status()).isEqualTo(direct.status());
        assertThat(annotated.body()).isEqualTo(direct.body());
    }

    @Test
    void aDeleteWorksEitherWay() {
        String first = UUID.randomUUID().toString();
        String second = UUID.randomUUID().toString();
        http.put(first, "v");
        http.put(second, "v");
        HttpResponse<String> direct = delete("/delete?key=" + first);
        HttpResponse<String> annotated = delete("/delete;way=annotated?key=" + second);
        assertThat(direct.statusCode()).isEqualTo(200);
        assertAlike(direct, annotated);
        assertAlike(delete("/delete?key=" + first), delete("/delete;way=annotated?key=" + second)); // both gone
        assertThat(http.getKey(first).statusCode()).isEqualTo(404);
    }

    private HttpResponse<String> delete(String pathAndQuery) {
        return http.send(http.request(pathAndQuery).method("DELETE", HttpRequest.BodyPublishers.noBody()).build());
    }

    private static void assertAlike(HttpResponse<String> direct, HttpResponse<String> annotated) {
        assertThat(direct.statusCode()).isEqualTo(annotated.statusCode());
        assertThat(direct.body()).isEqualTo(annotated.body());
        assertThat(direct.body()).startsWith("{\"status\":");
        assertThat(direct.headers().firstValue("Content-Type"))
                .isEqualTo(annotated.headers().firstValue("Content-Type"));
    }

    private static MockHttpServletRequest request(String method, String uri, String contentType) {
        MockHttpServletRequest request = new MockHttpServletRequest(method, uri);
        if (contentType != null) {
            request.setContentType(contentType);
        }
        return request;
    }
}
