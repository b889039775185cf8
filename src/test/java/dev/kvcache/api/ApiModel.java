package dev.kvcache.api;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.json.JsonFactory;

/**
 * The model of the HTTP contract (docs/api.md, "Limits" and "Errors") that {@link ApiPropertyTests} holds the
 * service to: its limits, its answers, and what a put body or a query string must lead to.
 */
final class ApiModel {

    static final int MAX_KEY = 256;
    static final int MAX_VALUE = 256;
    static final int MAX_BODY = 6 * (MAX_KEY + MAX_VALUE) + 1024;
    /** Tomcat's limit on the request line and headers together ({@code server.max-http-request-header-size}). */
    static final int MAX_HEADER_BYTES = 8 * 1024;
    /** Tomcat's default {@code maxParameterCount}. */
    static final int MAX_PARAMETERS = 1000;

    static final String STORED = "{\"status\":\"OK\",\"message\":\"Key inserted/updated successfully.\"}";
    static final String DELETED = "{\"status\":\"OK\",\"message\":\"Key deleted.\"}";
    static final String NOT_FOUND = "{\"status\":\"ERROR\",\"message\":\"Key not found\"}";
    /** {@code kvcache.max-ttl}'s default, in seconds. */
    static final long MAX_TTL = 86_400;
    static final String TTL_RULE = "ttl must be a whole number of seconds from 1 to " + MAX_TTL;

    /** The model's JSON reader: strict as the service's (UTF-8 only, duplicate fields refused). */
    private static final JsonFactory MODEL_JSON = JsonFactory.builder()
            .disable(TokenStreamFactory.Feature.CHARSET_DETECTION)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    static final String UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    /** Characters Tomcat takes as they are in a query. */
    static final String QUERY_SAFE = UNRESERVED + "!$&'()*+,;=:@/?%";
    /** Characters Tomcat refuses in a request target (CR and LF are left out: they would end the line). */
    static final String QUERY_REFUSED;

    static {
        StringBuilder refused = new StringBuilder(" \"#<>\\^`{|}\u007f");
        for (char c = 0; c < 0x20; c++) {
            if (c != '\r' && c != '\n') {
                refused.append(c);
            }
        }
        for (char c = 0x80; c <= 0xFF; c++) {
            refused.append(c);
        }
        QUERY_REFUSED = refused.toString();
    }

    private ApiModel() {
    }

    /** A put stored (with its ttl, null for none) or refused (with its message, where the model knows it). */
    record PutExpectation(boolean stored, int status, String key, String value, Long ttl, String message) {

        static PutExpectation refused(int status) {
            return refused(status, null);
        }

        static PutExpectation refused(int status, String message) {
            return new PutExpectation(false, status, null, null, null, message);
        }
    }

    /**
     * What a {@code /put} of these bytes must lead to. Read token by token as the service's data binding reads
     * them: a JSON object whose {@code key} and {@code value} are strings and whose {@code ttl}, if there, is any
     * JSON value, other fields skipped, duplicate fields and anything after the object refused; then the limits
     * on the strings and the ttl. A ttl that is not an integer from 1 to {@link #MAX_TTL} is refused with
     * {@link #TTL_RULE}; the model does not say which message a put with several faults gets.
     */
    static PutExpectation expectedPut(byte[] body) {
        if (body.length > MAX_BODY) {
            return PutExpectation.refused(413);
        }
        String key = null;
        String value = null;
        boolean hasTtl = false;
        BigInteger ttl = null; // null where the ttl is not a JSON integer
        try (JsonParser parser = MODEL_JSON.createParser(ObjectReadContext.empty(), body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return PutExpectation.refused(400);
            }
            for (JsonToken token = parser.nextToken(); token == JsonToken.PROPERTY_NAME; token = parser.nextToken()) {
                String name = parser.currentName();
                JsonToken content = parser.nextToken();
                if (name.equals("key") || name.equals("value")) {
                    if (content != JsonToken.VALUE_STRING && content != JsonToken.VALUE_NULL) {
                        return PutExpectation.refused(400); // a number, boolean, object or array
                    }
                    String text = content == JsonToken.VALUE_STRING ? parser.getString() : null;
                    if (name.equals("key")) {
                        key = text;
                    }
                    else {
                        value = text;
                    }
                }
                else if (name.equals("ttl")) {
                    hasTtl = true;
                    ttl = content == JsonToken.VALUE_NUMBER_INT ? parser.getBigIntegerValue() : null;
                    parser.skipChildren();
                }
                else {
                    parser.skipChildren();
                }
            }
            if (parser.nextToken() != null) {
                return PutExpectation.refused(400);
            }
        }
        catch (JacksonException ex) {
            return PutExpectation.refused(400);
        }
        boolean entryValid = valid(key, 1, MAX_KEY) && valid(value, 0, MAX_VALUE);
        if (hasTtl && (ttl == null || ttl.signum() <= 0 || ttl.compareTo(BigInteger.valueOf(MAX_TTL)) > 0)) {
            return PutExpectation.refused(400, entryValid ? TTL_RULE : null);
        }
        if (!entryValid) {
            return PutExpectation.refused(400);
        }
        return new PutExpectation(true, 200, key, value, hasTtl ? ttl.longValue() : null, null);
    }

    private static boolean valid(String text, int minLength, int maxLength) {
        return text != null && text.length() >= minLength && text.length() <= maxLength
                && text.chars().allMatch(c -> c <= 0x7F);
    }

    enum GetKind { KEY, REFUSED, UNCERTAIN }

    record GetExpectation(GetKind kind, String key) {
    }

    /**
     * What {@code GET /get?<query>} must lead to, as Tomcat parses a query: split at {@code &}, then at the
     * first {@code =}; percent-escapes and {@code +} decoded, the bytes read as UTF-8; any failure refuses the
     * whole request. Characters a request line may not hold, and a request line over the limit, are refused by
     * Tomcat before the application sees them.
     */
    static GetExpectation expectedGet(String query) {
        return expectedKeyQuery("GET /get?", query);
    }

    /** As {@link #expectedGet}, for a request line that starts as given ({@code DELETE /delete?}). */
    static GetExpectation expectedKeyQuery(String requestLineStart, String query) {
        int lineBytes = requestLineStart.length() + query.length() + " HTTP/1.0\r\n\r\n".length();
        if (lineBytes > MAX_HEADER_BYTES + 64) {
            return new GetExpectation(GetKind.REFUSED, null);
        }
        if (lineBytes > MAX_HEADER_BYTES - 64) {
            return new GetExpectation(GetKind.UNCERTAIN, null);
        }
        boolean uncertain = false;
        for (int i = 0; i < query.length(); i++) {
            char c = query.charAt(i);
            if (QUERY_REFUSED.indexOf(c) >= 0) {
                return new GetExpectation(GetKind.REFUSED, null);
            }
            uncertain |= QUERY_SAFE.indexOf(c) < 0;
        }
        if (uncertain) { // '[' or ']': whether Tomcat takes them depends on its relaxedQueryChars
            return new GetExpectation(GetKind.UNCERTAIN, null);
        }
        List<String> keys = new ArrayList<>();
        int parameters = 0;
        for (String chunk : query.split("&", -1)) {
            if (chunk.isEmpty()) {
                continue;
            }
            int equals = chunk.indexOf('=');
            String name = equals < 0 ? chunk : chunk.substring(0, equals);
            String value = equals < 0 ? "" : chunk.substring(equals + 1);
            if (name.isEmpty()) {
                return new GetExpectation(GetKind.REFUSED, null);
            }
            String decodedName = decodeQueryComponent(name);
            String decodedValue = decodeQueryComponent(value);
            if (decodedName == null || decodedValue == null) {
                return new GetExpectation(GetKind.REFUSED, null);
            }
            parameters++;
            if (decodedName.equals("key")) {
                keys.add(decodedValue);
            }
        }
        if (parameters > MAX_PARAMETERS - 5 && parameters <= MAX_PARAMETERS + 5) {
            return new GetExpectation(GetKind.UNCERTAIN, null);
        }
        if (parameters > MAX_PARAMETERS || keys.size() != 1 || !valid(keys.get(0), 1, MAX_KEY)) {
            return new GetExpectation(GetKind.REFUSED, null);
        }
        return new GetExpectation(GetKind.KEY, keys.get(0));
    }

    /** The decoded query component, or null if its percent-encoding or UTF-8 is malformed. */
    private static String decodeQueryComponent(String component) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < component.length(); i++) {
            char c = component.charAt(i);
            if (c == '+') {
                bytes.write(' ');
            }
            else if (c == '%') {
                if (i + 2 >= component.length()) {
                    return null;
                }
                int high = Character.digit(component.charAt(i + 1), 16);
                int low = Character.digit(component.charAt(i + 2), 16);
                if (high < 0 || low < 0) {
                    return null;
                }
                bytes.write(high * 16 + low);
                i += 2;
            }
            else {
                bytes.write(c);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        }
        catch (CharacterCodingException ex) {
            return null;
        }
    }
}
