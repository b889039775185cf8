package dev.kvcache.system;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.catalina.Container;
import org.apache.catalina.Pipeline;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;

import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;

/**
 * Answers the requests Tomcat refuses before they reach Spring (a request target that does not normalise,
 * such as {@code /../get}, a character not allowed in the request line, headers over the size limit, an
 * unsupported transfer coding or HTTP version) in the API's JSON shape,
 * {@code {"status":"ERROR","message":"<reason phrase>"}}, in place of Tomcat's HTML error page.
 *
 * <p>Tomcat renders those answers in the Host's {@link ErrorReportValve}; this replaces that valve (Boot adds
 * a plain one, and the Host would add another at start-up) with {@link JsonErrorReportValve}. Requests that do
 * reach the servlet are answered by the API's own handlers, which write a body first, so the valve leaves them
 * alone.
 */
@Configuration(proxyBeanMethods = false)
class ContainerErrorConfiguration {

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> jsonContainerErrors() {
        return new JsonContainerErrors();
    }

    /**
     * Runs after Boot's own Tomcat customizer (order 0), whose context customizer adds the plain valve that
     * this one then replaces.
     */
    private static final class JsonContainerErrors
            implements WebServerFactoryCustomizer<TomcatServletWebServerFactory>, Ordered {

        @Override
        public void customize(TomcatServletWebServerFactory factory) {
            factory.addContextCustomizers(context -> useJsonErrorReports(context.getParent()));
        }

        @Override
        public int getOrder() {
            return Ordered.LOWEST_PRECEDENCE;
        }
    }

    static void useJsonErrorReports(Container host) {
        Pipeline pipeline = host.getPipeline();
        for (Valve valve : pipeline.getValves()) {
            if (valve instanceof ErrorReportValve) {
                pipeline.removeValve(valve);
            }
        }
        pipeline.addValve(new JsonErrorReportValve());
        if (host instanceof StandardHost standardHost) {
            // At start-up the Host adds a valve of this class unless it already has one.
            standardHost.setErrorReportValveClass(JsonErrorReportValve.class.getName());
        }
    }

    /**
     * Writes {@code {"status":"ERROR","message":"<reason phrase>"}} where Tomcat's valve would write an HTML
     * page. The message is the reason phrase of the status and nothing else: Tomcat's own messages for these
     * refusals may quote the request.
     *
     * <p>Tomcat answers an unsupported transfer coding or an unknown method such as {@code CONNECT} with 501,
     * and an HTTP version other than 1.0 and 1.1 with 505. Both are refusals of what the client sent, so they
     * are answered with 400 (the reason phrase of the original status as message): no request makes this
     * service answer 5xx unless it failed itself.
     */
    public static final class JsonErrorReportValve extends ErrorReportValve {

        public JsonErrorReportValve() {
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
            String message = reasonPhrase(status);
            if (status == HttpStatus.NOT_IMPLEMENTED.value()
                    || status == HttpStatus.HTTP_VERSION_NOT_SUPPORTED.value()) {
                status = HttpStatus.BAD_REQUEST.value();
            }
            // Reason phrases are plain ASCII words: nothing to escape, one byte per character.
            String body = "{\"status\":\"ERROR\",\"message\":\"" + message + "\"}";
            try {
                response.setStatus(status);
                response.setContentType("application/json");
                response.setContentLength(body.length());
                PrintWriter writer = response.getReporter();
                if (writer != null) { // null if the response was committed after all
                    writer.write(body);
                    response.finishResponse();
                }
            }
            catch (IOException | IllegalStateException ex) {
                // The client went away, or the response was committed meanwhile: nothing more to say.
            }
        }

        private static String reasonPhrase(int status) {
            HttpStatus known = HttpStatus.resolve(status);
            return known != null ? known.getReasonPhrase() : "Request failed";
        }
    }
}
