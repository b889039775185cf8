package dev.kvcache.api;

/** Body of every answer that is not an entry: {@code {"status":"OK"|"ERROR","message":"..."}}. */
record ApiResponse(String status, String message) {

    static final ApiResponse STORED = new ApiResponse("OK", "Key inserted/updated successfully.");
    static final ApiResponse DELETED = new ApiResponse("OK", "Key deleted.");
    static final ApiResponse NOT_FOUND = error("Key not found");

    static ApiResponse error(String message) {
        return new ApiResponse("ERROR", message);
    }
}
