package dev.kvcache.api;

/** Body of a successful {@code GET /get}: {@code {"status":"OK","key":"...","value":"..."}}. */
record EntryResponse(String status, String key, String value) {

    static EntryResponse of(String key, String value) {
        return new EntryResponse("OK", key, value);
    }
}
