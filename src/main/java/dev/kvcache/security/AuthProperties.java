package dev.kvcache.security;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.StringUtils;

/**
 * Access control, bound from {@code kvcache.auth.*} (or {@code KVCACHE_AUTH_*} environment variables). Off
 * unless a token is set.
 *
 * <p>The token is checked by {@link #validToken()} when access control starts, not while binding: a binding
 * failure report prints the property's value, and the token must never reach a log.
 *
 * @param token the shared secret clients send as {@code Authorization: Bearer <token>}; blank or unset turns
 * access control off
 */
@ConfigurationProperties("kvcache.auth")
public record AuthProperties(String token) {

    /** Shortest token accepted: 16 characters, 96 bits or more for a random token of letters and digits. */
    public static final int MIN_TOKEN_LENGTH = 16;

    /** Whether access control is on: a token that is not blank is set. */
    public boolean enabled() {
        return StringUtils.hasText(this.token);
    }

    /**
     * The token, checked: at least {@value #MIN_TOKEN_LENGTH} characters, all visible ASCII ({@code !} to
     * {@code ~}: what a header carries as it is, and compares byte for byte). The message names the property
     * and never quotes the value.
     */
    String validToken() {
        if (!enabled()) {
            throw new IllegalStateException("kvcache.auth.token is not set");
        }
        if (this.token.length() < MIN_TOKEN_LENGTH) {
            throw new IllegalStateException("kvcache.auth.token must be at least " + MIN_TOKEN_LENGTH
                    + " characters long, was " + this.token.length());
        }
        for (int i = 0; i < this.token.length(); i++) {
            char c = this.token.charAt(i);
            if (c < '!' || c > '~') {
                throw new IllegalStateException("kvcache.auth.token must contain only visible ASCII characters "
                        + "(no spaces, control or non-ASCII characters); the one at index " + i + " is not");
            }
        }
        return this.token;
    }

    /** Never shows the token, should anything log this record. */
    @Override
    public String toString() {
        return "AuthProperties[token=" + (enabled() ? "(set)" : "(not set)") + "]";
    }
}
