package dev.kvcache.api;

/** Body of {@code POST /put}. Both fields are checked by the cache, which knows the limits. */
record PutRequest(String key, String value) {
}
