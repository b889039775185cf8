package dev.kvcache.api;

/** A request the API refuses with 400; the message says what was wrong and is shown to the client. */
class BadRequestException extends RuntimeException {

    BadRequestException(String message) {
        super(message, null, false, false); // a client's mistake: no stack trace to fill
    }
}
