package dev.kvcache.gatling;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import java.util.function.Function;

import io.gatling.javaapi.core.CheckBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import io.gatling.javaapi.http.HttpRequestActionBuilder;

/**
 * The service's three endpoints as Gatling requests, with the checks of its documented answers. They read the
 * virtual user's session: {@value #KEY} is the key, {@value #VALUE_INDEX} the index of the value in the
 * {@link ValuePool} to put.
 */
final class KvCacheApi {

    static final String KEY = "key";
    static final String VALUE_INDEX = "valueIndex";
    /** Where a put that answered 200 leaves its status; absent after any other answer. */
    static final String PUT_STATUS = "putStatus";
    static final String PUT_OK_BODY = "{\"status\":\"OK\",\"message\":\"Key inserted/updated successfully.\"}";
    static final String DELETED_BODY = "{\"status\":\"OK\",\"message\":\"Key deleted.\"}";
    static final String NOT_FOUND_BODY = "{\"status\":\"ERROR\",\"message\":\"Key not found\"}";

    private KvCacheApi() {
    }

    static HttpProtocolBuilder protocol(String baseUrl) {
        return http.baseUrl(baseUrl)
                .acceptHeader("application/json")
                // Warm Gatling's HTTP stack up against the server under test, not Gatling's default (gatling.io).
                .warmUp(baseUrl + "/actuator/health/readiness");
    }

    /**
     * {@code POST /put} of the session's key and value; anything but a 200 with the documented body fails. The
     * body is compared as JSON (same fields, same values, nothing more) rather than byte for byte, so that the
     * same simulation can measure the reference peer (bench/), whose JSON encoder orders fields differently.
     */
    static HttpRequestActionBuilder put(String requestName, ValuePool values) {
        return put(requestName, values, null);
    }

    /** The same with {@code "ttl": ttlSeconds} in the body, unless it is null. A 200 is saved as {@value #PUT_STATUS}. */
    static HttpRequestActionBuilder put(String requestName, ValuePool values, Integer ttlSeconds) {
        String ttl = ttlSeconds == null ? "" : ",\"ttl\":" + ttlSeconds;
        return http(requestName)
                .post("/put")
                .asJson()
                .body(StringBody(session -> "{\"key\":" + Json.string(session.getString(KEY))
                        + ",\"value\":" + values.json(session.getInt(VALUE_INDEX)) + ttl + "}"))
                .check(status().is(200).saveAs(PUT_STATUS),
                        bodyString().transform(Json::parseObject).is(Json.parseObject(PUT_OK_BODY)));
    }

    /**
     * {@code GET /get} of the session's key: it must answer 200 (a 404 is a miss, and fails the request) with
     * status OK, the same key, and a value that passes {@code valueCheck}. The body is parsed as JSON, so the
     * value is compared after unescaping, as any client would read it.
     */
    static HttpRequestActionBuilder get(String requestName, CheckBuilder valueCheck) {
        return http(requestName)
                .get("/get")
                .queryParam("key", session -> session.getString(KEY))
                .check(
                        status().is(200),
                        jsonPath("$.status").is("OK"),
                        jsonPath("$.key").is(session -> session.getString(KEY)),
                        valueCheck);
    }

    /**
     * {@code GET /get} of the session's key where the key may be missing: a 200 is checked as by {@link #get}; a
     * 404 must have the documented body, and fails unless {@code missExplained} says the workload explains it.
     */
    static HttpRequestActionBuilder getOrMissing(String requestName, CheckBuilder valueCheck,
            Function<Session, Boolean> missExplained) {
        return http(requestName)
                .get("/get")
                .queryParam("key", session -> session.getString(KEY))
                .check(status().in(200, 404))
                .checkIf((response, session) -> response.status().code() == 200).then(
                        jsonPath("$.status").is("OK"),
                        jsonPath("$.key").is(session -> session.getString(KEY)),
                        valueCheck)
                .checkIf((response, session) -> response.status().code() == 404).then(
                        notFound(missExplained));
    }

    /**
     * {@code DELETE /delete} of the session's key: 200 with the documented body, or 404 with its own, which fails
     * unless {@code missExplained} says the workload explains it.
     */
    static HttpRequestActionBuilder delete(String requestName, Function<Session, Boolean> missExplained) {
        return http(requestName)
                .delete("/delete")
                .queryParam("key", session -> session.getString(KEY))
                .check(status().in(200, 404))
                .checkIf((response, session) -> response.status().code() == 200).then(
                        bodyString().transform(Json::parseObject).is(Json.parseObject(DELETED_BODY)))
                .checkIf((response, session) -> response.status().code() == 404).then(
                        notFound(missExplained));
    }

    private static CheckBuilder notFound(Function<Session, Boolean> missExplained) {
        return bodyString().transform(Json::parseObject).validate("an explained 404", (body, session) -> {
            if (!body.equals(Json.parseObject(NOT_FOUND_BODY))) {
                throw new IllegalStateException("a 404 without the documented body");
            }
            if (!missExplained.apply(session)) {
                throw new IllegalStateException("404, yet no delete or expiry explains it");
            }
            return body;
        });
    }

    /** The check that {@code $.value} is exactly {@code values.value(index)} for the session's value index. */
    static CheckBuilder valueIs(ValuePool values) {
        return jsonPath("$.value").is(session -> values.value(session.getInt(VALUE_INDEX)));
    }

    /** The check that {@code $.value} is one of the pool's values: used where keys are overwritten concurrently. */
    static CheckBuilder valueInPool(ValuePool values) {
        // Short messages: Gatling's console cuts error lines at 100 characters.
        return jsonPath("$.value").validate("in value pool", (value, session) -> {
            if (value == null || !values.contains(value)) {
                throw new IllegalStateException(
                        "not in the pool (" + (value == null ? "null" : value.length() + " chars") + ")");
            }
            return value;
        });
    }
}
