package dev.kvcache.api;

import java.util.List;
import java.util.Set;

import dev.kvcache.cache.InvalidEntryException;
import org.apache.tomcat.util.http.InvalidParameterException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.MismatchedInputException;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.NoHandlerFoundException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * Turns every failure into {@code {"status":"ERROR","message":"..."}}. Spring's own mapping of framework
 * exceptions to 4xx (405, 415, 400 on unreadable bodies, 404) is kept; only the body and message change.
 * Messages never quote the request body back.
 */
@RestControllerAdvice
class ApiExceptionHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    static final String NO_SUCH_ENDPOINT =
            "No such endpoint: use POST /put, GET /get?key= or DELETE /delete?key=";

    static final String BODY_SHAPE =
            "send a JSON object with string fields 'key' and 'value' and, optionally, an integer 'ttl'";

    static final String NO_BODY = "Request body is missing or unreadable: " + BODY_SHAPE;

    /** Methods named in a 405's message; any other token a client sends as method is not quoted back. */
    private static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
            "OPTIONS", "TRACE", "CONNECT");

    @ExceptionHandler({ InvalidEntryException.class, BadRequestException.class })
    ResponseEntity<Object> badRequest(RuntimeException ex) {
        return error(HttpStatus.BAD_REQUEST, ex.getMessage(), new HttpHeaders());
    }

    /** The body of a put could not be read as a {@link PutRequest}. */
    @ExceptionHandler
    ResponseEntity<Object> unreadableBody(JacksonException ex) {
        return error(HttpStatus.BAD_REQUEST, unreadableBodyMessage(ex), new HttpHeaders());
    }

    @ExceptionHandler
    ResponseEntity<Object> payloadTooLarge(PayloadTooLargeException ex) {
        return error(HttpStatus.CONTENT_TOO_LARGE, ex.getMessage(), new HttpHeaders());
    }

    /**
     * Tomcat could not parse a query that a handler asked for (an Actuator endpoint reading its parameters;
     * {@code /get} handles this itself): the client's error. Its message quotes the input, so it is not passed on.
     */
    @ExceptionHandler
    ResponseEntity<Object> invalidQuery(InvalidParameterException ex) {
        return error(HttpStatus.BAD_REQUEST, invalidQueryMessage(ex), new HttpHeaders());
    }

    static String invalidQueryMessage(RuntimeException ex) {
        return ex.getCause() != null
                ? "Query string is not valid: malformed percent-encoding"
                : "Query string is not valid: a parameter without a name, or too many parameters";
    }

    /** A bug of ours, not the client's: logged with its stack trace, answered without it. */
    @ExceptionHandler
    ResponseEntity<Object> unexpected(Exception ex) {
        log.error("Unexpected error", ex);
        return error(HttpStatus.INTERNAL_SERVER_ERROR, "Internal error", new HttpHeaders());
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        // A body stream cut off by RequestSizeLimitFilter may surface here, wrapped by the JSON reader.
        for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
            if (cause instanceof PayloadTooLargeException tooLarge) {
                return payloadTooLarge(tooLarge);
            }
        }
        return error(HttpStatus.BAD_REQUEST, unreadableBodyMessage(ex.getCause()), headers);
    }

    @Override
    protected ResponseEntity<Object> handleExceptionInternal(Exception ex, Object body, HttpHeaders headers,
            HttpStatusCode statusCode, WebRequest request) {
        return error(statusCode, frameworkMessage(ex, statusCode), headers);
    }

    private static String unreadableBodyMessage(Throwable cause) {
        if (cause instanceof MismatchedInputException mismatch) {
            if (String.valueOf(mismatch.getOriginalMessage()).startsWith("No content to map")) {
                return NO_BODY;
            }
            List<JacksonException.Reference> path = mismatch.getPath();
            if (!path.isEmpty() && path.get(0).getPropertyName() != null) {
                return "Field '" + path.get(0).getPropertyName() + "' must be a string";
            }
            if (String.valueOf(mismatch.getOriginalMessage()).startsWith("Trailing token")) {
                return "Request body must hold one JSON object and nothing after it";
            }
            return "Request body must be a JSON object: " + BODY_SHAPE;
        }
        if (cause instanceof StreamConstraintsException) {
            return "Request body is beyond JSON limits: nesting too deep, or a number or name too long";
        }
        if (cause instanceof StreamReadException malformed) {
            String reason = String.valueOf(malformed.getOriginalMessage());
            String what = reason.startsWith("Duplicate Object property")
                    ? "Malformed JSON (a field appears twice)" : "Malformed JSON";
            TokenStreamLocation at = malformed.getLocation();
            return at == null ? what : what + " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        }
        return NO_BODY;
    }

    private static String frameworkMessage(Exception ex, HttpStatusCode status) {
        if (ex instanceof HttpRequestMethodNotSupportedException notAllowed) {
            String method = KNOWN_METHODS.contains(notAllowed.getMethod())
                    ? "Method " + notAllowed.getMethod() : "This method";
            return method + " is not allowed here; use "
                    + String.join(" or ", notAllowed.getSupportedMethods() == null
                            ? new String[0] : notAllowed.getSupportedMethods());
        }
        if (ex instanceof HttpMediaTypeNotSupportedException) {
            return "Content-Type must be application/json";
        }
        if (ex instanceof NoResourceFoundException || ex instanceof NoHandlerFoundException) {
            return NO_SUCH_ENDPOINT;
        }
        HttpStatus known = HttpStatus.resolve(status.value());
        return known != null ? known.getReasonPhrase() : "Request failed";
    }

    static ResponseEntity<Object> error(HttpStatusCode status, String message, HttpHeaders headers) {
        return ResponseEntity.status(status).headers(headers).contentType(MediaType.APPLICATION_JSON)
                .body(ApiResponse.error(message));
    }
}
