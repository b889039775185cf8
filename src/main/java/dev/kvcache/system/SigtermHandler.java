package dev.kvcache.system;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.catalina.connector.Connector;
import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * What the service does on SIGTERM ({@code docker stop}, Kubernetes deleting the pod):
 * <ol>
 * <li>readiness turns {@code REFUSING_TRAFFIC} ({@code /actuator/health/readiness} answers 503) and every
 * connection is closed after its next answer ({@code Connection: close}), while the service goes on serving
 * for {@code kvcache.shutdown.drain}: the time for load balancers and Kubernetes' endpoints to take the
 * instance out of rotation, and for clients' pooled connections to move to other instances;</li>
 * <li>then the application context closes as on any shutdown: Boot's graceful shutdown closes the listener
 * (new connections are refused), lets the requests in flight finish (up to
 * {@code spring.lifecycle.timeout-per-shutdown-phase}), and the JVM exits with status 0 rather than the 143
 * of a JVM ended by SIGTERM.</li>
 * </ol>
 * A second SIGTERM during the drain cuts it short. Other ways of stopping (SIGINT, a test's context closing)
 * shut down at once, without the drain.
 *
 * <p>Why not Boot alone: Boot publishes {@code REFUSING_TRAFFIC} when the context starts closing and pauses
 * the connector and closes its listener immediately after, so the readiness probe never sees the change on
 * the service's port, and a load balancer learns that the instance is gone from refused connections. The
 * usual remedy is a Kubernetes {@code preStop} hook that sleeps; doing it here works the same under any
 * orchestrator and shows the drain on the readiness probe.
 *
 * <p>{@link Signal} is in the {@code jdk.unsupported} module, exported to every application on JDK 9 and
 * later. If the JVM keeps SIGTERM to itself ({@code -Xrs}), the handler is not installed and SIGTERM stops
 * the service as Boot does (no drain, status 143).
 */
@Component
final class SigtermHandler implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(SigtermHandler.class);

    private static final String TERM = "TERM";

    private final ConfigurableApplicationContext context;
    private final Duration drain;
    private final AtomicBoolean terminating = new AtomicBoolean();
    private final CountDownLatch cutShort = new CountDownLatch(1);
    private volatile SignalHandler previous;
    private volatile boolean running;

    SigtermHandler(ConfigurableApplicationContext context, @Value("${kvcache.shutdown.drain:5s}") Duration drain) {
        if (drain.isNegative()) {
            throw new IllegalArgumentException("kvcache.shutdown.drain must be 0 or positive, was " + drain);
        }
        this.context = context;
        this.drain = drain;
    }

    /** Installed once the web server is up (this runs in the last start-up phase, after it). */
    @Override
    public void start() {
        try {
            previous = Signal.handle(new Signal(TERM), this::onSigterm);
        }
        catch (IllegalArgumentException ex) {
            log.warn("Cannot handle SIGTERM ({}): it will stop the service without the drain", ex.getMessage());
        }
        running = true;
    }

    /** Gives SIGTERM back to whoever had it before, once this context is closing anyway. */
    @Override
    public void stop() {
        SignalHandler handler = previous;
        if (handler != null) {
            try {
                Signal.handle(new Signal(TERM), handler);
            }
            catch (IllegalArgumentException ex) {
                // Nothing to give back: the JVM would not let us take it either.
            }
            previous = null;
        }
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void onSigterm(Signal signal) {
        if (!terminating.compareAndSet(false, true)) {
            log.info("SIGTERM again: ending the drain now");
            cutShort.countDown();
            return;
        }
        if (!context.isActive()) {
            System.exit(0);
            return;
        }
        log.info("SIGTERM: readiness is REFUSING_TRAFFIC and connections close after their next answer; serving on "
                + "for {} ms before shutting down", drain.toMillis());
        AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
        closeConnectionsAfterTheirNextAnswer();
        try {
            cutShort.await(drain.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        log.info("Drain over: shutting down gracefully");
        // Runs the shutdown hooks, among them Boot's, which closes the context gracefully; then exits with 0.
        System.exit(0);
    }

    /**
     * Tomcat reads {@code maxKeepAliveRequests} for every request: at 1 it answers with {@code Connection: close}
     * and closes the connection, so a client's next request opens a new one, which a load balancer sends to an
     * instance still in rotation.
     */
    private void closeConnectionsAfterTheirNextAnswer() {
        if (context instanceof WebServerApplicationContext web && web.getWebServer() instanceof TomcatWebServer tomcat) {
            for (Connector connector : tomcat.getTomcat().getService().findConnectors()) {
                if (connector.getProtocolHandler() instanceof AbstractHttp11Protocol<?> http) {
                    http.setMaxKeepAliveRequests(1);
                }
            }
        }
    }
}
