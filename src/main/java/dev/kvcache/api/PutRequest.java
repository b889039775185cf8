package dev.kvcache.api;

import tools.jackson.databind.JsonNode;

/**
 * Body of {@code POST /put}. Key and value are checked by the cache, which knows the limits. The time to live is
 * read as it was written (absent is null, {@code null} a null node) so that only a JSON integer passes: Jackson
 * would otherwise truncate {@code 1.5} or read {@code "10"} as a number.
 */
record PutRequest(String key, String value, JsonNode ttl) {
}
