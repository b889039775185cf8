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
 * Local mode ({@code kvcache.mode=local}, the default): the entries in this JVM's {@link CaffeineStore}, its
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
    CaffeineStore caffeineStore(CacheProperties properties, MemoryBudget budget,
            ScheduledExecutorService cacheMaintenanceExecutor) {
        // Maintenance (applying writes to the eviction policy, evicting) runs on the thread that triggers it:
        // handing it to a pool woke a thread for nearly every put, which cost more than the work itself.
        CaffeineStore store = new CaffeineStore(budget, Ticker.systemTicker(), Runnable::run,
                Scheduler.forScheduledExecutorService(cacheMaintenanceExecutor), new SecureRandom().nextLong());
        long interval = properties.cleanupInterval().toMillis();
        cacheMaintenanceExecutor.scheduleWithFixedDelay(store::cleanUp, interval, interval, TimeUnit.MILLISECONDS);
        return store;
    }

    /** Warm restart: the snapshot loaded at start, written at shutdown and every interval. */
    @Bean(initMethod = "start", destroyMethod = "close")
    WarmRestart warmRestart(SnapshotProperties snapshots, CaffeineStore store) {
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

    /** The off-heap pages: what they hold and have taken, and what keeping them full costs. */
    @Bean
    MeterBinder offHeapMetrics(CaffeineStore store) {
        return registry -> {
            Gauge.builder("cache.offheap.used", store, CaffeineStore::slabUsedBytes)
                    .tag("cache", "kv").baseUnit("bytes")
                    .description("Bytes of the off-heap chunks holding entries")
                    .register(registry);
            Gauge.builder("cache.offheap.committed", store, CaffeineStore::slabCommittedBytes)
                    .tag("cache", "kv").baseUnit("bytes")
                    .description("Bytes of the off-heap pages taken from the system (kept for reuse)")
                    .register(registry);
            FunctionCounter.builder("cache.offheap.evictions", store, CaffeineStore::roomEvictionCount)
                    .tag("cache", "kv")
                    .description("Entries evicted early because the off-heap pages held nothing but live chunks")
                    .register(registry);
            FunctionCounter.builder("cache.offheap.moves", store, CaffeineStore::movedChunkCount)
                    .tag("cache", "kv")
                    .description("Chunks moved to another page to take back the room of freed ones")
                    .register(registry);
        };
    }
}
