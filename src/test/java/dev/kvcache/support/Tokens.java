package dev.kvcache.support;

/** Bearer tokens for tests with access control on. */
public final class Tokens {

    /**
     * Every kind of visible ASCII character a token may hold: letters, digits and symbols. Tests that set it share
     * one application context.
     */
    public static final String TOKEN = "kv-T0ken_for.tests~0123456789+/=";

    /** The Authorization header's value that carries {@link #TOKEN}. */
    public static final String BEARER = "Bearer " + TOKEN;

    private Tokens() {
    }
}
