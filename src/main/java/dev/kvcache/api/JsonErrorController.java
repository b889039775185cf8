package dev.kvcache.api;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;

import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.util.StringUtils;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Answers errors raised outside Spring MVC (by filters or the servlet container) in the API's JSON shape,
 * in place of Boot's default error body. Its presence makes Boot's {@code BasicErrorController} back off.
 */
@RestController
class JsonErrorController implements ErrorController {

    /** Longest message passed on from {@code sendError}: ours are short, and a longer one may quote a request. */
    static final int MAX_MESSAGE_LENGTH = 120;

    @RequestMapping("${server.error.path:/error}")
    ResponseEntity<Object> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        if (code == null) { // asked for directly, not forwarded by the container
            return ApiExceptionHandler.error(HttpStatus.NOT_FOUND, ApiExceptionHandler.NO_SUCH_ENDPOINT,
                    new HttpHeaders());
        }
        HttpStatus status = code instanceof Integer value && HttpStatus.resolve(value) != null
                ? HttpStatus.valueOf(value) : HttpStatus.INTERNAL_SERVER_ERROR;
        Object message = request.getAttribute(RequestDispatcher.ERROR_MESSAGE);
        // A 4xx's sendError message is shown if it is short (ours are, and so are Tomcat's that quote nothing);
        // a longer one, and whatever a 5xx carries, gives way to the reason phrase.
        String text = message instanceof String s && StringUtils.hasText(s) && s.length() <= MAX_MESSAGE_LENGTH
                && status.is4xxClientError() ? s : status.getReasonPhrase();
        return ApiExceptionHandler.error(status, text, new HttpHeaders());
    }
}
