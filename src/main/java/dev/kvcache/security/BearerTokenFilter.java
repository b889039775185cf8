package dev.kvcache.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;

import dev.kvcache.api.ApiAnswers;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.HttpHeaders;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Lets a request through only with {@code Authorization: Bearer <token>} and the configured token; answers
 * anything else with 401, a JSON error and a {@code WWW-Authenticate: Bearer} challenge, before the request
 * reaches Spring MVC. A few exact paths (the health probes) are let through without looking at the header.
 *
 * <p>The token is compared in constant time whatever the client sends: the SHA-256 digests of the expected and
 * the given token are compared with {@link MessageDigest#isEqual}, so the time taken depends neither on how
 * much of the token a guess gets right nor on its length. Only the expected token's digest is kept.
 *
 * <p>Cheap enough for the hot path: one header read, one SHA-256 of a few dozen bytes (the JVM uses the CPU's
 * SHA instructions where it has them), no logging, no thread-locals; the answers' bodies are made once, at
 * start-up, and written with their length, like the API's.
 */
final class BearerTokenFilter extends OncePerRequestFilter {

    static final String MISSING_TOKEN = "Authorization required: send the header 'Authorization: Bearer <token>'";

    static final String INVALID_TOKEN = "Invalid bearer token";

    /** RFC 6750: no error code when the request had no credentials, {@code invalid_token} when they were wrong. */
    private static final String CHALLENGE = "Bearer realm=\"kv-cache\"";

    private static final String INVALID_TOKEN_CHALLENGE = CHALLENGE + ", error=\"invalid_token\"";

    private static final String SCHEME = "Bearer";

    /** OncePerRequestFilter's marker attribute, named once rather than concatenated on every request. */
    private static final String ALREADY_FILTERED = BearerTokenFilter.class.getName() + ALREADY_FILTERED_SUFFIX;

    private final MessageDigest sha256;

    private final byte[] expectedDigest;

    private final Set<String> openPaths;

    private final byte[] missingTokenBody;

    private final byte[] invalidTokenBody;

    /**
     * @param token the expected token, visible ASCII (see {@link AuthProperties#validToken()})
     * @param openPaths paths, below the context path, let through without a token; matched exactly against the
     * request URI as sent, so that no encoding, path parameter or dot segment can make another path pass for
     * one of them
     * @param missingTokenBody the JSON answer to a request without a bearer token
     * @param invalidTokenBody the JSON answer to a request with a wrong one
     */
    BearerTokenFilter(String token, Set<String> openPaths, byte[] missingTokenBody, byte[] invalidTokenBody) {
        this.sha256 = sha256();
        this.expectedDigest = newDigest().digest(token.getBytes(StandardCharsets.UTF_8));
        this.openPaths = Set.copyOf(openPaths);
        this.missingTokenBody = missingTokenBody.clone();
        this.invalidTokenBody = invalidTokenBody.clone();
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String uri = request.getRequestURI();
        String contextPath = request.getContextPath();
        if (!contextPath.isEmpty()) { // Tomcat's context path is the raw start of the URI
            if (!uri.startsWith(contextPath)) {
                return false;
            }
            uri = uri.substring(contextPath.length());
        }
        return this.openPaths.contains(uri);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
        int start = tokenStart(authorization);
        if (start < 0) {
            reject(response, CHALLENGE, this.missingTokenBody);
        }
        else if (!matches(authorization, start)) {
            reject(response, INVALID_TOKEN_CHALLENGE, this.invalidTokenBody);
        }
        else {
            chain.doFilter(request, response);
        }
    }

    /**
     * Where the token starts in {@code Bearer <token>}, or -1 if the header is not of that form. The scheme is
     * case-insensitive and may be followed by several spaces (RFC 9110, 11.4); the container has already
     * trimmed the value.
     */
    private static int tokenStart(String authorization) {
        if (authorization == null || authorization.length() <= SCHEME.length() + 1
                || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())
                || authorization.charAt(SCHEME.length()) != ' ') {
            return -1;
        }
        int start = SCHEME.length() + 1;
        while (start < authorization.length() && authorization.charAt(start) == ' ') {
            start++;
        }
        return start < authorization.length() ? start : -1;
    }

    /**
     * Whether the token in the header, from {@code start}, is the expected one. A token with a character the
     * expected one cannot hold (anything but visible ASCII) is wrong as it stands; this check looks at the
     * client's input only. Past it every character is one byte, whatever the charset.
     */
    private boolean matches(String authorization, int start) {
        for (int i = start; i < authorization.length(); i++) {
            char c = authorization.charAt(i);
            if (c < '!' || c > '~') {
                return false;
            }
        }
        byte[] header = authorization.getBytes(StandardCharsets.UTF_8);
        MessageDigest digest = newDigest();
        digest.update(header, start, header.length - start);
        return MessageDigest.isEqual(this.expectedDigest, digest.digest());
    }

    private static void reject(HttpServletResponse response, String challenge, byte[] body) throws IOException {
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, challenge);
        ApiAnswers.write(response, HttpServletResponse.SC_UNAUTHORIZED, body);
    }

    /** A fresh SHA-256 digest: a copy of the one made at start-up, cheaper than a provider look-up. */
    private MessageDigest newDigest() {
        try {
            return (MessageDigest) this.sha256.clone();
        }
        catch (CloneNotSupportedException ex) {
            return sha256();
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (NoSuchAlgorithmException ex) { // every Java platform has SHA-256
            throw new IllegalStateException(ex);
        }
    }

    @Override
    protected String getAlreadyFilteredAttributeName() {
        return ALREADY_FILTERED;
    }
}
