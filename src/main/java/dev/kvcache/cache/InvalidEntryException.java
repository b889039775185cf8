package dev.kvcache.cache;

/** A key or value that the cache refuses to store; the message says what was wrong and is safe to show. */
public class InvalidEntryException extends IllegalArgumentException {

    InvalidEntryException(String message) {
        super(message);
    }
}
