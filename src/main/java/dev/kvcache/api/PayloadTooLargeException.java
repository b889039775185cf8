package dev.kvcache.api;

/** A request body longer than {@link RequestSizeLimitFilter} allows; answered with 413. */
class PayloadTooLargeException extends RuntimeException {

    PayloadTooLargeException(long limit) {
        super("Request body must be at most " + limit + " bytes", null, false, false);
    }
}
