package dev.kvcache.system;

import java.io.IOException;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsProperties;
import org.springframework.boot.micrometer.metrics.autoconfigure.PropertiesMeterFilter;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.support.PropertiesLoaderUtils;

/**
 * What one request's {@code http.server.requests} record costs, as {@link HttpRequestMetricsFilter} makes it: a
 * Prometheus timer without histogram buckets ({@code none}) and with the buckets of application.properties, applied
 * by Boot's own meter filter ({@code buckets}). Durations from 50 us to 5 ms, so records land in different buckets.
 * Run with {@code bench/jmh.sh RequestTimerBenchmark} (at 1 and 2 threads: two threads share one timer, as
 * concurrent requests of one route and status do).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RequestTimerBenchmark {

    @Param({ "none", "buckets" })
    public String histogram;

    private Timer timer;

    @State(Scope.Thread)
    public static class Durations {

        final long[] nanos = new long[1024];
        int next;

        @Setup(Level.Trial)
        public void draw() {
            SplittableRandom random = new SplittableRandom(Thread.currentThread().getId());
            for (int i = 0; i < nanos.length; i++) {
                nanos[i] = (long) (50_000 * Math.pow(100, random.nextDouble())); // 50 us to 5 ms, log-uniform
            }
        }
    }

    @Setup
    public void timer() throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        if (histogram.equals("buckets")) {
            Properties settings = PropertiesLoaderUtils.loadProperties(new ClassPathResource("application.properties"));
            MetricsProperties metrics = new Binder(new MapConfigurationPropertySource(settings))
                    .bind("management.metrics", MetricsProperties.class).get();
            registry.config().meterFilter(new PropertiesMeterFilter(metrics));
        }
        timer = Timer.builder("http.server.requests").tag("method", "GET").tag("uri", "/get").tag("status", "200")
                .tag("outcome", "SUCCESS").tag("exception", "none").register(registry);
        if (histogram.equals("buckets") && timer.takeSnapshot().histogramCounts().length == 0) {
            throw new IllegalStateException("no buckets: is the slo property in application.properties?");
        }
    }

    @Benchmark
    public void record(Durations durations) {
        timer.record(durations.nanos[durations.next++ & 1023], TimeUnit.NANOSECONDS);
    }
}
