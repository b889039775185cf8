package dev.kvcache.api;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.catalina.Container;
import org.apache.catalina.Pipeline;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.util.unit.DataSize;

/**
 * Answers the requests Tomcat refuses before they reach Spring (a request target that does not normalise,
 * such as {@code /../get}, a character not allowed in the request line, headers over the size limit, an
 * unsupported transfer coding or HTTP version) in the API's JSON shape,
 * {@code {"status":"ERROR","message":"..."}}, in place of Tomcat's HTML error page.
 *
 * <p>Tomcat renders those answers in the Host's {@link ErrorReportValve}; this replaces that valve (Boot adds
 * a plain one, and the Host would add another at start-up) with {@link JsonErrorReportValve}. Requests that do
 * reach the servlet are answered by the API's own handlers, which write a body first, so the valve leaves them
 * alone.
 */
@Configuration(proxyBeanMethods = false)
class ContainerErrorConfiguration {

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> jsonContainerErrors(
            @Value("${server.max-http-request-header-size:8KB}") DataSize maxHeaderSize) {
        return new JsonContainerErrors(maxHeaderSize);
    }

    /**
     * Runs after Boot's own Tomcat customizer (order 0), whose context customizer adds the plain valve that
     * this one then replaces.
     */
    private record JsonContainerErrors(DataSize maxHeaderSize)
            implements WebServerFactoryCustomizer<TomcatServletWebServerFactory>, Ordered {

        @Override
        public void customize(TomcatServletWebServerFactory factory) {
            factory.addContextCustomizers(
                    context -> useJsonErrorReports(context.getParent(), maxHeaderSize.toBytes()));
        }

        @Override
        public int getOrder() {
            return Ordered.LOWEST_PRECEDENCE;
        }
    }

    static void useJsonErrorReports(Container host, long maxHeaderBytes) {
        Pipeline pipeline = host.getPipeline();
        for (Valve valve : pipeline.getValves()) {
            if (valve instanceof ErrorReportValve) {
                pipeline.removeValve(valve);
            }
        }
        pipeline.addValve(new JsonErrorReportValve(maxHeaderBytes));
        if (host instanceof StandardHost standardHost) {
            // At start-up the Host adds a valve of this class unless its pipeline already has one.
            standardHost.setErrorReportValveClass(JsonErrorReportValve.class.getName());
        }
    }

    /**
     * Writes {@code {"status":"ERROR","message":"..."}} where Tomcat's valve would write an HTML page. The
     * message says what was wrong in words of our own, chosen from the kind of refusal: Tomcat's messages quote
     * the request (up to kilobytes of it), so they are never passed on.
     *
     * <p>Request line and headers over {@code server.max-http-request-header-size}, or more headers than
     * Tomcat's {@code maxHeaderCount} (100), answer 431. Tomcat answers {@code CONNECT} and an unsupported
     * transfer coding with 501, and an HTTP version other than 1.0 and 1.1 with 505: all refusals of what the
     * client sent, so they answer 400. No request makes this service answer 5xx unless
     * it failed itself.
     */
    static final class JsonErrorReportValve extends ErrorReportValve {

        /** Tomcat's messages (its LocalStrings.properties) for what it refuses while parsing, to ours. */
        private static final String[][] PARSE_ERRORS = {
                { "Invalid character found in the request target",
                        "Request target holds a character that must be percent-encoded" },
                { "Invalid character found in method name", "Method is not a valid HTTP method name" },
                { "Invalid character found in the HTTP protocol", "Request line does not end with HTTP/1.1" },
                { "The HTTP header line", "A header line is malformed (expected 'Name: value')" },
                { "The HTTP request line", "Request line is malformed (expected 'METHOD /path HTTP/1.1')" } };

        static final String MALFORMED =
                "Malformed HTTP request: check the path and the Host, Content-Length and Transfer-Encoding headers";

        private final long maxHeaderBytes;

        JsonErrorReportValve(long maxHeaderBytes) {
            this.maxHeaderBytes = maxHeaderBytes;
            setShowReport(false);
            setShowServerInfo(false);
        }

        @Override
        protected void report(Request request, Response response, Throwable throwable) {
            int status = response.getStatus();
            // As Tomcat's valve: nothing to do for a success, an answer already written, or an error reported.
            if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
                return;
            }
            AtomicBoolean ioAllowed = new AtomicBoolean(false);
            response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
            if (!ioAllowed.get()) {
                return; // the connection is gone or being closed: no one would read an answer
            }
            String message;
            String parseError = throwable != null ? String.valueOf(throwable.getMessage()) : "";
            if (parseError.startsWith("Request header is too large")) {
                status = HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE.value();
                message = "Request line and headers must be at most " + maxHeaderBytes + " bytes together";
            }
            else if (parseError.startsWith("More than the maximum allowed number of headers")) {
                // Tomcat's maxHeaderCount, 100 by default: its message names the limit, in brackets.
                status = HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE.value();
                message = "Too many headers: at most " + parseError.replaceAll("[^\\[]*\\[(\\d+)].*", "$1");
            }
            else if (status == HttpStatus.NOT_IMPLEMENTED.value()) {
                status = HttpStatus.BAD_REQUEST.value();
                message = "CONNECT".equals(request.getMethod()) ? "Method CONNECT is not supported"
                        : "Transfer-Encoding is not supported: send the body with Content-Length or chunked";
            }
            else if (status == HttpStatus.HTTP_VERSION_NOT_SUPPORTED.value()) {
                status = HttpStatus.BAD_REQUEST.value();
                message = "HTTP version is not supported: use HTTP/1.1";
            }
            else {
                message = parseErrorMessage(parseError, status);
            }
            byte[] body = ApiAnswers.error(message);
            try {
                // The reporter, not the servlet output stream: a request the container refused has no servlet.
                response.setStatus(status);
                response.setContentType(MediaType.APPLICATION_JSON_VALUE);
                response.setContentLength(body.length);
                PrintWriter writer = response.getReporter();
                if (writer != null) { // null if the response was committed after all
                    writer.write(new String(body, StandardCharsets.ISO_8859_1)); // our messages are ASCII
                    response.finishResponse();
                }
            }
            catch (IOException | IllegalStateException ex) {
                // The client went away, or the response was committed meanwhile: nothing more to say.
            }
        }

        private static String parseErrorMessage(String parseError, int status) {
            for (String[] known : PARSE_ERRORS) {
                if (parseError.startsWith(known[0])) {
                    return known[1];
                }
            }
            if (status == HttpStatus.BAD_REQUEST.value()) {
                // Refused with no reason given: a path with /../ above the root or an encoded NUL, a missing or
                // repeated Host, a Content-Length that is not one number, chunked not the last transfer coding.
                return MALFORMED;
            }
            HttpStatus known = HttpStatus.resolve(status);
            return known != null ? known.getReasonPhrase() : "Request failed";
        }
    }
}
