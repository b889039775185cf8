package dev.kvcache.api;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import dev.kvcache.support.Http;

import static dev.kvcache.api.ApiModel.MAX_BODY;
import static dev.kvcache.api.ApiModel.MAX_KEY;
import static dev.kvcache.api.ApiModel.MAX_TTL;
import static dev.kvcache.api.ApiModel.QUERY_REFUSED;
import static dev.kvcache.api.ApiModel.QUERY_SAFE;
import static dev.kvcache.api.ApiModel.UNRESERVED;

/**
 * The generators of the samples of {@link ApiPropertyTests}: keys, values, ttls, put bodies, JSON shapes, query
 * strings and header blocks, each drawn from a {@link SplittableRandom} so that its seed replays it.
 */
final class ApiGenerators {

    private ApiGenerators() {
    }

    /** A put: a valid ttl or none, or (for the refused puts) a ttl written as JSON that breaks the rule. */
    record Entry(String key, String value, long spelling, Long ttl, String invalidTtl) {

        Entry(String key, String value, long spelling, Long ttl) {
            this(key, value, spelling, ttl, null);
        }
    }

    record Shape(byte[] body, boolean validByConstruction) {
    }

    record Query(String query, String valueToStore) {
    }

    /**
     * A request for a fresh marker key: {@code GET /get?key=<marker>...}, {@code DELETE /delete?key=<marker>...},
     * a put of it, or another method on {@code /get}.
     */
    record HeaderCase(String method, String targetSuffix, List<String> headers) {

        boolean post() {
            return method.equals("POST");
        }

        String text(String marker) {
            boolean post = post();
            String target = (post ? "/put" : method.equals("DELETE") ? "/delete?key=" + marker : "/get?key=" + marker)
                    + targetSuffix;
            StringBuilder request = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.0\r\n");
            String body = post ? "{\"key\":\"" + marker + "\",\"value\":\"v\"}" : "";
            if (post) {
                request.append("Content-Type: application/json\r\n");
                request.append("Content-Length: ").append(body.length()).append("\r\n");
            }
            headers.forEach(header -> request.append(header).append("\r\n"));
            return request.append("\r\n").append(body).toString();
        }
    }

    /** An ASCII character, with the ones that JSON, URLs and HTTP treat specially drawn often. */
    private static char asciiChar(SplittableRandom random) {
        int kind = random.nextInt(100);
        if (kind < 35) {
            return UNRESERVED.charAt(random.nextInt(UNRESERVED.length()));
        }
        if (kind < 50) {
            return "\"\\/'<>&".charAt(random.nextInt(7));
        }
        if (kind < 65) {
            return " %+&=?#;,:@[]{}|^`".charAt(random.nextInt(18));
        }
        if (kind < 85) {
            int control = random.nextInt(33);
            return control == 32 ? '\u007f' : (char) control;
        }
        return (char) random.nextInt(128);
    }

    private static int length(SplittableRandom random, int min, int max) {
        int kind = random.nextInt(10);
        if (kind == 0) {
            return min;
        }
        if (kind == 1) {
            return max;
        }
        if (kind < 5) {
            return min + random.nextInt(Math.min(max - min, 8) + 1);
        }
        return min + random.nextInt(max - min + 1);
    }

    static String asciiString(SplittableRandom random, int min, int max) {
        int length = length(random, min, max);
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append(asciiChar(random));
        }
        return text.toString();
    }

    /** Any string, mostly not ASCII: accented letters, other scripts, emoji, lone surrogates. */
    private static String unicodeString(SplittableRandom random, int min, int max) {
        int length = length(random, min, max);
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            int kind = random.nextInt(10);
            if (kind < 3) {
                text.append(asciiChar(random));
            }
            else if (kind < 5) {
                text.append((char) (0x80 + random.nextInt(0x780))); // Latin-1 and beyond, 2 bytes in UTF-8
            }
            else if (kind < 7) {
                text.append((char) (0x800 + random.nextInt(0xD000))); // 3 bytes in UTF-8
            }
            else if (kind < 9) {
                text.appendCodePoint(0x10000 + random.nextInt(0x100000)); // a surrogate pair
            }
            else {
                text.append((char) (0xD800 + random.nextInt(0x800))); // a lone surrogate
            }
        }
        if (text.chars().allMatch(c -> c <= 0x7F) && length > 0) {
            text.setCharAt(random.nextInt(length), '\u00e9');
        }
        return text.toString();
    }

    /** White space JSON allows between tokens, usually none. */
    private static String whitespace(SplittableRandom random) {
        if (random.nextInt(4) != 0) {
            return "";
        }
        StringBuilder space = new StringBuilder();
        for (int i = random.nextInt(1, 4); i > 0; i--) {
            space.append(" \t\r\n".charAt(random.nextInt(4)));
        }
        return space.toString();
    }

    /**
     * A JSON string literal for the text, each character spelled one of the ways JSON allows: as itself, as a
     * short escape, as {@code \}{@code uXXXX} in either case. Lone surrogates can only be escapes.
     */
    private static String jsonString(SplittableRandom random, String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i += Character.charCount(text.codePointAt(i))) {
            int c = text.codePointAt(i);
            int spelling = random.nextInt(10);
            String shortEscape = switch (c) {
                case '"' -> "\\\"";
                case '\\' -> "\\\\";
                case '/' -> "\\/";
                case '\b' -> "\\b";
                case '\f' -> "\\f";
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                case '\t' -> "\\t";
                default -> null;
            };
            boolean mustEscape = c == '"' || c == '\\' || c < 0x20 || c <= 0xFFFF && Character.isSurrogate((char) c);
            if (!mustEscape && spelling < 7) {
                out.appendCodePoint(c);
            }
            else if (shortEscape != null && spelling < 9) {
                out.append(shortEscape);
            }
            else { // a pair of surrogates is escaped as a pair
                for (char unit : Character.toChars(c)) {
                    String hex = String.format("\\u%04x", (int) unit);
                    out.append(random.nextBoolean() ? hex : "\\u" + hex.substring(2).toUpperCase(Locale.ROOT));
                }
            }
        }
        return out.append('"').toString();
    }

    /**
     * A valid put body for the entry, spelled at random (field order, escapes, white space, unknown fields), with
     * {@code "ttl": <ttl>} among the fields unless ttl is null.
     */
    static byte[] validBody(SplittableRandom random, String key, String value, Long ttl) {
        return validBody(random, key, value, ttl == null ? null : ttl.toString());
    }

    /** The same, with the ttl as this JSON text (valid or not) among the fields unless it is null. */
    static byte[] validBody(SplittableRandom random, String key, String value, String ttlJson) {
        List<String> fields = new ArrayList<>();
        fields.add(jsonString(random, "key") + whitespace(random) + ":" + whitespace(random) + jsonString(random, key));
        fields.add(jsonString(random, "value") + whitespace(random) + ":" + whitespace(random)
                + jsonString(random, value));
        Set<String> names = new HashSet<>(Set.of("key", "value", "ttl"));
        for (int extra = random.nextInt(4) == 0 ? random.nextInt(1, 4) : 0; extra > 0; extra--) {
            String name = asciiString(random, 0, 8);
            if (names.add(name)) {
                fields.add(random.nextInt(fields.size() + 1),
                        jsonString(random, name) + ":" + whitespace(random) + jsonValue(random, 3));
            }
        }
        if (random.nextBoolean()) {
            Collections.swap(fields, 0, 1);
        }
        if (ttlJson != null) {
            fields.add(random.nextInt(fields.size() + 1),
                    jsonString(random, "ttl") + whitespace(random) + ":" + whitespace(random) + ttlJson);
        }
        return object(random, fields).getBytes(StandardCharsets.UTF_8);
    }

    /** A plain put body with the ttl as this JSON text. */
    static byte[] putBody(String key, String value, String ttlJson) {
        return ("{\"key\":" + Http.json(key) + ",\"value\":" + Http.json(value) + ",\"ttl\":" + ttlJson + "}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** A valid ttl, the bounds and short ones (which may pass before the get) drawn often. */
    static long validTtl(SplittableRandom random) {
        return switch (random.nextInt(6)) {
            case 0 -> 1;
            case 1 -> MAX_TTL;
            case 2 -> random.nextLong(2, 61);
            default -> random.nextLong(1, MAX_TTL + 1);
        };
    }

    /** A JSON value that is no valid ttl, of every kind: see {@link #ttlKind}. */
    static String invalidTtl(SplittableRandom random) {
        String digits = Long.toString(random.nextLong(1, MAX_TTL + 1));
        return switch (random.nextInt(20)) {
            case 0 -> "0";
            case 1 -> "-0";
            case 2 -> "-" + random.nextLong(1, Long.MAX_VALUE);
            case 3 -> Long.toString(MAX_TTL + 1);
            case 4 -> Long.toString(random.nextLong(MAX_TTL + 1, Long.MAX_VALUE));
            case 5 -> random.nextBoolean() ? Long.toString(Long.MAX_VALUE) : Long.toString(Long.MIN_VALUE);
            case 6 -> (random.nextBoolean() ? "" : "-") + "1" + digits(random, random.nextInt(19, 60)); // > 2^63
            case 7 -> digits + ".0";
            case 8 -> digits + "." + random.nextInt(1, 1000);
            case 9 -> "0." + random.nextInt(1, 1000);
            case 10 -> digits + (random.nextBoolean() ? "e" : "E") + new String[] { "", "+", "-" }[random.nextInt(3)]
                    + random.nextInt(0, 4);
            case 11 -> "1e3";
            case 12 -> jsonString(random, digits);
            case 13 -> jsonString(random, asciiString(random, 0, 10));
            case 14 -> "null";
            case 15 -> random.nextBoolean() ? "true" : "false";
            case 16 -> "[" + digits + "]";
            case 17 -> "{\"seconds\":" + digits + "}";
            case 18 -> random.nextBoolean() ? "[]" : "{}";
            default -> {
                String other;
                do {
                    other = jsonValue(random, 2);
                } while (other.matches("-?\\d+") && new BigInteger(other).signum() > 0
                        && new BigInteger(other).compareTo(BigInteger.valueOf(MAX_TTL)) <= 0);
                yield other;
            }
        };
    }

    private static String digits(SplittableRandom random, int count) {
        StringBuilder digits = new StringBuilder(count);
        for (int i = 0; i < count; i++) {
            digits.append((char) ('0' + random.nextInt(10)));
        }
        return digits.toString();
    }

    /** Which kind of invalid ttl the JSON text is, for the labels of a property. */
    static String ttlKind(String ttlJson) {
        if (ttlJson.matches("-?\\d+")) {
            return new BigInteger(ttlJson).bitLength() < 64 ? "integer out of range" : "beyond 64 bits";
        }
        if (ttlJson.matches("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?")) {
            return "fraction or exponent";
        }
        return ttlJson.startsWith("\"") ? "string" : "null, boolean, object or array";
    }

    private static String object(SplittableRandom random, List<String> fields) {
        StringBuilder out = new StringBuilder(whitespace(random)).append('{');
        for (int i = 0; i < fields.size(); i++) {
            out.append(i == 0 ? "" : ",").append(whitespace(random)).append(fields.get(i)).append(whitespace(random));
        }
        return out.append('}').append(whitespace(random)).toString();
    }

    /** Any JSON value, nested at most {@code depth} deep; the names within an object are distinct. */
    private static String jsonValue(SplittableRandom random, int depth) {
        int kind = random.nextInt(depth > 0 ? 10 : 7);
        return switch (kind) {
            case 0 -> "null";
            case 1 -> random.nextBoolean() ? "true" : "false";
            case 2 -> Long.toString(random.nextLong());
            case 3 -> (random.nextBoolean() ? "-" : "") + random.nextInt(1000) + "." + random.nextInt(1000)
                    + (random.nextBoolean() ? "e" + (random.nextBoolean() ? "-" : "+") + random.nextInt(400) : "");
            case 4, 5 -> jsonString(random, asciiString(random, 0, 20));
            case 6 -> jsonString(random, unicodeString(random, 0, 8));
            case 7 -> {
                List<String> elements = new ArrayList<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    elements.add(jsonValue(random, depth - 1));
                }
                yield "[" + String.join("," + whitespace(random), elements) + "]";
            }
            default -> {
                Map<String, String> fields = new LinkedHashMap<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    fields.putIfAbsent(asciiString(random, 0, 6), jsonValue(random, depth - 1));
                }
                List<String> spelled = new ArrayList<>();
                fields.forEach((name, content) -> spelled.add(jsonString(random, name) + ":" + content));
                yield "{" + String.join(",", spelled) + "}";
            }
        };
    }

    /** Bytes of every sort: random, valid bodies damaged, JSON tokens at random, over the size limit. */
    static byte[] arbitraryBody(SplittableRandom random) {
        int kind = random.nextInt(100);
        if (kind < 25) {
            byte[] bytes = new byte[length(random, 0, 300)];
            random.nextBytes(bytes);
            return bytes;
        }
        if (kind < 65) {
            byte[] body = validBody(random, asciiString(random, 1, 40), asciiString(random, 0, 40),
                    random.nextBoolean() ? validTtl(random) : null);
            for (int mutations = random.nextInt(1, 4); mutations > 0; mutations--) {
                body = mutate(random, body);
            }
            return body;
        }
        if (kind < 85) {
            String[] tokens = { "{", "}", "[", "]", ":", ",", "\"key\"", "\"value\"", "\"k\\u0065y\"", "\"x\"",
                    "\"v\"", "1", "-2.5e3", "true", "false", "null", " ", "\"", "\\", "\u00e9", "\uFEFF", "\u0000",
                    "\"ttl\"", "0", "86400", "86401" };
            StringBuilder soup = new StringBuilder();
            for (int i = random.nextInt(1, 20); i > 0; i--) {
                soup.append(tokens[random.nextInt(tokens.length)]);
            }
            return soup.toString().getBytes(StandardCharsets.UTF_8);
        }
        if (kind < 92) {
            int size = random.nextInt(MAX_BODY - 200, MAX_BODY + 1500);
            String padding = "p".repeat(Math.max(0, size - 40));
            String body = "{\"key\":\"big\",\"value\":\"v\",\"pad\":\"" + padding + "\"}";
            return body.getBytes(StandardCharsets.US_ASCII);
        }
        String valid = "{\"key\":\"" + asciiString(random, 1, 10).replaceAll("[\"\\\\\\x00-\\x1f]", "k")
                + "\",\"value\":\"v\"}";
        return switch (random.nextInt(6)) {
            case 0 -> new byte[0];
            case 1 -> " \t\r\n".getBytes(StandardCharsets.US_ASCII);
            case 2 -> "null".getBytes(StandardCharsets.US_ASCII);
            case 3 -> ("\uFEFF" + valid).getBytes(StandardCharsets.UTF_8); // a byte order mark
            case 4 -> valid.getBytes(StandardCharsets.UTF_16); // UTF-16 with its byte order mark
            default -> valid.getBytes(Charset.forName("UTF-32LE"));
        };
    }

    private static byte[] mutate(SplittableRandom random, byte[] body) {
        if (body.length == 0) {
            return new byte[] { (byte) random.nextInt(256) };
        }
        int at = random.nextInt(body.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (random.nextInt(6)) {
            case 0 -> { // replace a byte
                byte[] copy = body.clone();
                copy[at] = (byte) random.nextInt(256);
                return copy;
            }
            case 1 -> { // insert a byte, often one that means something to JSON
                out.write(body, 0, at);
                String meaningful = "{}[]\":,\\ 0-eE\u00ff";
                out.write(meaningful.charAt(random.nextInt(meaningful.length())));
                out.write(body, at, body.length - at);
            }
            case 2 -> { // delete a range
                int end = Math.min(body.length, at + random.nextInt(1, 8));
                out.write(body, 0, at);
                out.write(body, end, body.length - end);
            }
            case 3 -> { // duplicate a range
                int end = Math.min(body.length, at + random.nextInt(1, 20));
                out.write(body, 0, end);
                out.write(body, at, body.length - at);
            }
            case 4 -> { // cut off
                out.write(body, 0, at);
            }
            default -> { // flip a bit
                byte[] copy = body.clone();
                copy[at] ^= (byte) (1 << random.nextInt(8));
                return copy;
            }
        }
        return out.toByteArray();
    }

    /** A JSON document of some shape, with whether it was built to be a valid put. */
    static Shape jsonShape(SplittableRandom random) {
        if (random.nextInt(8) == 0) { // not an object
            String document = switch (random.nextInt(6)) {
                case 0 -> "[" + jsonValue(random, 2) + "," + jsonValue(random, 2) + "]";
                case 1 -> "[{\"key\":\"k\",\"value\":\"v\"}]";
                case 2 -> jsonString(random, asciiString(random, 0, 20));
                case 3 -> Long.toString(random.nextLong());
                case 4 -> random.nextBoolean() ? "true" : "null";
                default -> "[".repeat(random.nextInt(1, 700)) + "]".repeat(random.nextInt(0, 700));
            };
            return new Shape((whitespace(random) + document + whitespace(random)).getBytes(StandardCharsets.UTF_8),
                    false);
        }
        boolean valid = true;
        List<String> fields = new ArrayList<>();
        Set<String> names = new HashSet<>(Set.of("ttl"));
        int ttlKind = random.nextInt(10);
        if (ttlKind < 4) { // a valid ttl, or one of every invalid kind
            fields.add(jsonString(random, "ttl") + ":" + whitespace(random)
                    + (ttlKind < 2 ? Long.toString(validTtl(random)) : invalidTtl(random)));
            valid = ttlKind < 2;
        }
        for (String name : List.of("key", "value")) {
            int kind = random.nextInt(100);
            String content;
            if (kind < 60) {
                content = jsonString(random, asciiString(random, name.equals("key") ? 1 : 0, 256));
            }
            else if (kind < 66) {
                content = jsonString(random, "");
                valid &= name.equals("value");
            }
            else if (kind < 73) {
                content = jsonString(random, asciiString(random, 257, 320));
                valid = false;
            }
            else if (kind < 82) {
                content = jsonString(random, unicodeString(random, 1, 12));
                valid = false;
            }
            else if (kind < 86) {
                content = "null";
                valid = false;
            }
            else if (kind < 92) { // a number, a boolean, an object or an array
                String other;
                do {
                    other = jsonValue(random, 2);
                } while (other.startsWith("\"") || other.equals("null"));
                content = other;
                valid = false;
            }
            else {
                content = null; // missing
                valid = false;
            }
            if (content != null) {
                fields.add(random.nextInt(fields.size() + 1), jsonString(random, name) + ":" + whitespace(random) + content);
                names.add(name);
            }
        }
        for (int extra = random.nextInt(3); extra > 0; extra--) {
            // Not ASCII at times, but no lone surrogates: JSON allows them escaped, Jackson refuses them in names.
            String name = random.nextInt(5) == 0 ? unicodeString(random, 1, 4).replaceAll("\\p{Cs}", "s")
                    : asciiString(random, 0, 10);
            if (names.add(name)) {
                fields.add(random.nextInt(fields.size() + 1), jsonString(random, name) + ":" + jsonValue(random, 3));
            }
        }
        if (!fields.isEmpty() && random.nextInt(10) == 0) { // a field given twice, spelled the same or not
            String field = fields.get(random.nextInt(fields.size()));
            fields.add(random.nextInt(fields.size() + 1), field);
            valid = false;
        }
        String document = object(random, fields);
        if (random.nextInt(12) == 0) { // something after the object
            document += new String[] { "{}", "x", ",", "\"\"", "0", "}", "null", "[]" }[random.nextInt(8)];
            valid = false;
        }
        byte[] body = document.getBytes(StandardCharsets.UTF_8);
        return new Shape(body, valid && body.length <= MAX_BODY);
    }

    /** A query string for {@code GET /get}: well-formed or not, with one key, none or several. */
    static Query queryCase(SplittableRandom random) {
        String key;
        int kind = random.nextInt(100);
        if (kind < 75) {
            key = asciiString(random, 1, MAX_KEY);
        }
        else if (kind < 82) {
            key = asciiString(random, MAX_KEY + 1, MAX_KEY + 40);
        }
        else if (kind < 90) {
            key = unicodeString(random, 1, 6).replaceAll("\\p{Cs}", "x"); // UTF-8 cannot carry lone surrogates
        }
        else {
            key = "";
        }
        String query = queryWithKey(random, encodeQueryComponent(random, key));
        int shape = random.nextInt(100);
        if (shape < 35) { // damaged
            for (int faults = random.nextInt(1, 4); faults > 0; faults--) {
                String[] faultsToInsert = { "%", "%z", "%zz", "%4", "%C3", "%c3", "%FF", "%e9", "%C0%80", "%ED%A0%80",
                        "%F0%9F", "%00", "+", "=", "=x", "&=x", "&key=", "&key=a", "&&", "key" };
                String fault = random.nextInt(4) == 0
                        ? String.valueOf(QUERY_REFUSED.charAt(random.nextInt(QUERY_REFUSED.length())))
                        : faultsToInsert[random.nextInt(faultsToInsert.length)];
                int at = random.nextInt(query.length() + 1);
                query = query.substring(0, at) + fault + query.substring(at);
            }
        }
        else if (shape < 45) { // long
            int length = random.nextBoolean() ? random.nextInt(100, 7000) : random.nextInt(8300, 20000);
            String filler = random.nextBoolean() ? "x".repeat(length) : "%41".repeat(length / 3);
            query = random.nextBoolean() ? query + "&pad=" + filler : "pad=" + filler + "&" + query;
        }
        else if (shape < 50) { // many parameters
            query = "a&".repeat(random.nextBoolean() ? random.nextInt(1, 900) : random.nextInt(1020, 1500)) + query;
        }
        else if (shape < 57) { // characters at random
            StringBuilder soup = new StringBuilder();
            for (int i = random.nextInt(0, 40); i > 0; i--) {
                soup.append(random.nextInt(8) == 0 ? QUERY_REFUSED.charAt(random.nextInt(QUERY_REFUSED.length()))
                        : (QUERY_SAFE + "[]").charAt(random.nextInt(QUERY_SAFE.length() + 2)));
            }
            query = soup.toString();
        }
        return new Query(query, random.nextBoolean() ? asciiString(random, 0, 30) : null);
    }

    /** The query with {@code key=<encoded>}, among other parameters or none, sometimes with the name escaped. */
    static String queryWithKey(SplittableRandom random, String encodedKey) {
        String[] names = { "key", "key", "key", "k%65y", "%6B%65%79", "%6b%65%79" };
        List<String> parameters = new ArrayList<>();
        parameters.add(names[random.nextInt(names.length)] + "=" + encodedKey);
        for (int others = random.nextInt(3) == 0 ? random.nextInt(1, 4) : 0; others > 0; others--) {
            String name = "p" + encodeQueryComponent(random, asciiString(random, 0, 5));
            String parameter = random.nextInt(4) == 0 ? name : name + "=" + encodeQueryComponent(random,
                    asciiString(random, 0, 10));
            parameters.add(random.nextInt(parameters.size() + 1), parameter);
        }
        String separator = random.nextInt(6) == 0 ? "&&" : "&";
        return (random.nextInt(8) == 0 ? "&" : "") + String.join(separator, parameters);
    }

    /**
     * The text percent-encoded as UTF-8, spelled at random: unreserved characters as themselves or escaped,
     * space as {@code +} or {@code %20}, hex digits in either case.
     */
    static String encodeQueryComponent(SplittableRandom random, String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xFF);
            if (UNRESERVED.indexOf(c) >= 0 && random.nextInt(10) != 0) {
                out.append(c);
            }
            else if (c == ' ' && random.nextBoolean()) {
                out.append('+');
            }
            else {
                String hex = String.format("%%%02X", b & 0xFF);
                out.append(random.nextBoolean() ? hex : hex.toLowerCase(Locale.ROOT));
            }
        }
        return out.toString();
    }

    /** A request whose request line or headers are too long, too many, or malformed. */
    static HeaderCase headerCase(SplittableRandom random) {
        int kind = random.nextInt(100);
        String method = kind < 40 ? "GET" : kind < 50 ? "DELETE" : kind < 85 ? "POST" : methodToken(random);
        String targetSuffix = "";
        List<String> headers = new ArrayList<>();
        for (int kinds = random.nextInt(1, 3); kinds > 0; kinds--) {
            switch (random.nextInt(9)) {
                case 0, 1 -> headers.add("X-Big: " + "a".repeat(random.nextInt(100, 30_000)));
                case 2 -> {
                    int count = random.nextInt(10, 1_500);
                    for (int i = 0; i < count; i++) {
                        headers.add("X-H" + i + ": v");
                    }
                }
                case 3 -> targetSuffix += (method.equals("POST") ? "?" : "&") + "pad="
                        + "p".repeat(random.nextInt(100, 30_000));
                case 4 -> headers.add(new String[] { "Bad Header: x", "X(: y", ": empty-name", "NoColon",
                        "\u0001X: y", "X\u007f: y" }[random.nextInt(6)]);
                case 5 -> headers.add("X-Value: " + new String[] { "a\u0001b", "a\u007fb", "caf\u00e9", "\u00ff\u00fe",
                        "a\u0000b" }[random.nextInt(5)]);
                case 6 -> {
                    headers.add("X-Folded: a");
                    headers.add(" b"); // obsolete line folding
                }
                case 7 -> headers.add("Host: " + "h".repeat(random.nextInt(1, 20_000)));
                default -> headers.add("Accept: " + "application/json;q=0.5,".repeat(random.nextInt(1, 600)));
            }
        }
        return new HeaderCase(method, targetSuffix, headers);
    }

    /** A method token (RFC 9110 tchars) that HTTP does not define, short or several kilobytes long. */
    private static String methodToken(SplittableRandom random) {
        String tchars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~";
        int length = random.nextBoolean() ? random.nextInt(1, 20) : random.nextInt(3_000, 12_000);
        StringBuilder method = new StringBuilder("X");
        while (method.length() < length) {
            method.append(tchars.charAt(random.nextInt(tchars.length())));
        }
        return method.toString();
    }
}
