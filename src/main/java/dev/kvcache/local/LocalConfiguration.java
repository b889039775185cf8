package dev.kvcache.local;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.kvcache.cache.CacheProperties;
import dev.kvcache.cache.MemoryBudget;
import dev.kvcache.local.restart.SnapshotProperties;
import dev.kvcache.local.restart.WarmRestart;
import dev.kvcache.system.ReadinessGate;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.health.application.ReadinessStateHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Local mode ({@code kvcache.mode=local}, the default): the entries in this JVM's {@link SegmentStore}, its
 * maintenance thread, warm restart, the readiness probe tied to the snapshot's load, and the off-heap meters.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "kvcache.mode", havingValue = "local", matchIfMissing = true)
class LocalConfiguration {

    private static final Logger log = LoggerFactory.getLogger(LocalConfiguration.class);

    /** One daemon thread that wakes the cache for expiries and runs its periodic clean-up. */
    @Bean(destroyMethod = "shutdownNow")
    ScheduledExecutorService cacheMaintenanceExecutor() {
        return Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "kvcache-maintenance");
            thread.setDaemon(true);
            return thread;
        });
    }

    @Bean
    SegmentStore segmentStore(CacheProperties properties, MemoryBudget budget,
            ScheduledExecutorService cacheMaintenanceExecutor) {
        // Maintenance (Caffeine's, and draining segments) runs on the thread that needs it: handing it to a pool
        // woke a thread for nearly every put, which cost more than the work itself.
        SegmentStore store = new SegmentStore(budget, properties.maxKeyLength(), properties.maxValueLength(),
                Ticker.systemTicker(), Runnable::run, Scheduler.forScheduledExecutorService(cacheMaintenanceExecutor),
                new SecureRandom().nextLong());
        log.info("Segments: {} of {} bytes", store.segmentCount(), store.segmentSize());
        long interval = properties.cleanupInterval().toMillis();
        cacheMaintenanceExecutor.scheduleWithFixedDelay(store::cleanUp, interval, interval, TimeUnit.MILLISECONDS);
        return store;
    }

    /** Warm restart: the snapshot loaded at start, written at shutdown and every interval. */
    @Bean(initMethod = "start", destroyMethod = "close")
    WarmRestart warmRestart(SnapshotProperties snapshots, SegmentStore store) {
        if (!snapshots.enabled()) {
            return WarmRestart.disabled(store);
        }
        log.info("Warm restart: snapshots in {}, {}", snapshots.dir(), snapshots.interval().isZero()
                ? "written at shutdown" : "written at shutdown and every " + snapshots.interval());
        return new WarmRestart(store, Path.of(snapshots.dir()), snapshots.interval());
    }

    /**
     * Readiness is DOWN until the snapshot is loaded (liveness is UP meanwhile). Replaces Boot's indicator of
     * the same name, so the readiness group needs no change.
     */
    @Bean
    ReadinessStateHealthIndicator readinessStateHealthIndicator(ApplicationAvailability availability,
            WarmRestart warmRestart) {
        return new ReadinessGate(availability, warmRestart::loaded);
    }

    /** The segments off the heap: what they hold and have taken, and what draining them moves and forces. */
    @Bean
    MeterBinder offHeapMetrics(SegmentStore store) {
        return registry -> {
            Gauge.builder("cache.offheap.used", store, SegmentStore::liveBytes)
                    .tag("cache", "kv").baseUnit("bytes")
                    .description("Bytes of the entries the index names, in their segments")
                    .register(registry);
            Gauge.builder("cache.offheap.committed", store, SegmentStore::committedBytes)
                    .tag("cache", "kv").baseUnit("bytes")
                    .description("Bytes of direct memory taken from the system for segments and the index (kept)")
                    .register(registry);
            FunctionCounter.builder("cache.offheap.evictions", store, SegmentStore::forcedEvictionCount)
                    .tag("cache", "kv")
                    .description("Entries of young segments dropped because nothing else could make room")
                    .register(registry);
            FunctionCounter.builder("cache.offheap.moves", store, SegmentStore::movedCount)
                    .tag("cache", "kv")
                    .description("Entries moved on to a main segment: read while young, or read again in main")
                    .register(registry);
        };
    }
}
