package dev.kvcache.cache;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.github.benmanes.caffeine.cache.Scheduler;
import com.github.benmanes.caffeine.cache.Ticker;
import com.sun.management.OperatingSystemMXBean;
import dev.kvcache.system.ReadinessGate;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.health.application.ReadinessStateHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;

/**
 * Builds the one {@link CacheService} of the application over its {@link EntryStore} (the local Caffeine store
 * unless {@code kvcache.mode=cluster}), the budget, the maintenance thread and the meters.
 */
@Configuration(proxyBeanMethods = false)
class CacheConfiguration {

    private static final Logger log = LoggerFactory.getLogger(CacheConfiguration.class);

    /** One daemon thread that wakes the local cache for expiries and runs its periodic clean-up. */
    @Bean(destroyMethod = "shutdownNow")
    @ConditionalOnProperty(name = "kvcache.mode", havingValue = "local", matchIfMissing = true)
    ScheduledExecutorService cacheMaintenanceExecutor() {
        return Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "kvcache-maintenance");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * The byte budget: kvcache.max-memory, cut (with a WARN) to what the heap's share and the direct memory can
     * hold.
     */
    @Bean
    MemoryBudget memoryBudget(CacheProperties properties) {
        long maxHeap = Runtime.getRuntime().maxMemory();
        MemoryBudget budget = MemoryBudget.of(properties.maxMemory().toBytes(), maxHeap, maxDirectMemory(maxHeap),
                totalMemory(), properties.mode());
        if (budget.capped()) {
            log.warn("kvcache.max-memory={} does not fit: using {} ({}% of the {} heap{})", mb(budget.configured()),
                    mb(budget.effective()), Math.round(budget.share() * 100), mb(budget.maxHeap()),
                    budget.offHeapRoom() == 0 ? ""
                            : " and " + mb(budget.offHeapRoom()) + " of direct memory; see docs/memory.md");
        }
        log.info("Cache budget {} ({} max heap, {} of direct memory for entries), mode {}, ttl {}, keys up to {} "
                + "and values up to {} chars", mb(budget.effective()), mb(budget.maxHeap()),
                mb(budget.offHeapRoom()), properties.mode(), properties.ttl(), properties.maxKeyLength(),
                properties.maxValueLength());
        return budget;
    }

    /** The memory of the machine, or of the container (its limit) when there is one. */
    private static long totalMemory() {
        return ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class).getTotalMemorySize();
    }

    /** {@code -XX:MaxDirectMemorySize}, whose default (0) is the max heap. */
    private static long maxDirectMemory(long maxHeap) {
        long flag = Long.parseLong(HeapLayout.flag("MaxDirectMemorySize", "0"));
        return flag > 0 ? flag : maxHeap;
    }

    /** The entries in this JVM's Caffeine cache: the default, {@code kvcache.mode=local}. */
    @Bean
    @ConditionalOnProperty(name = "kvcache.mode", havingValue = "local", matchIfMissing = true)
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

    /** Warm restart (local mode): the snapshot loaded at start, written at shutdown and every interval. */
    @Bean(initMethod = "start", destroyMethod = "close")
    @ConditionalOnProperty(name = "kvcache.mode", havingValue = "local", matchIfMissing = true)
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
     * the same name, so the readiness group needs no change; cluster mode has its own.
     */
    @Bean
    @ConditionalOnProperty(name = "kvcache.mode", havingValue = "local", matchIfMissing = true)
    ReadinessStateHealthIndicator readinessStateHealthIndicator(ApplicationAvailability availability,
            WarmRestart warmRestart) {
        return new ReadinessGate(availability, warmRestart::loaded);
    }

    @Bean
    CacheService cacheService(CacheProperties properties, EntryStore store) {
        return new CacheService(properties, store);
    }

    @Bean
    CacheMetrics cacheMetrics(CacheService cacheService) {
        return new CacheMetrics(cacheService);
    }

    @Bean
    @ConditionalOnProperty(name = "kvcache.mode", havingValue = "local", matchIfMissing = true)
    MeterBinder offHeapMetrics(CaffeineStore store) {
        return CacheMetrics.offHeap(store);
    }

    private static String mb(long bytes) {
        return DataSize.ofBytes(bytes).toMegabytes() + "MB";
    }
}
