package dev.kvcache.cache;

import java.lang.management.ManagementFactory;

import com.sun.management.OperatingSystemMXBean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;

/**
 * What every mode shares: the one {@link CacheService} of the application over the mode's {@link EntryStore}
 * (built by {@code local.LocalConfiguration} or {@code cluster.ClusterConfiguration}), its budget and its meters.
 */
@Configuration(proxyBeanMethods = false)
class CacheConfiguration {

    private static final Logger log = LoggerFactory.getLogger(CacheConfiguration.class);

    /**
     * The byte budget: kvcache.max-memory, cut (with a WARN) to what the direct memory and the machine (or
     * container) can hold beside the heap.
     */
    @Bean
    MemoryBudget memoryBudget(CacheProperties properties) {
        long maxHeap = Runtime.getRuntime().maxMemory();
        boolean cluster = properties.mode() == CacheProperties.Mode.CLUSTER;
        MemoryBudget budget = MemoryBudget.of(properties.maxMemory().toBytes(), maxHeap, maxDirectMemory(maxHeap),
                totalMemory(), cluster ? MemoryBudget.INFINISPAN_ENGINE : 0);
        String room = cluster ? "of native memory" : "of direct memory";
        if (budget.capped()) {
            log.warn("kvcache.max-memory={} does not fit: using {}, the room {} for entries ({} max heap); see "
                    + "docs/memory.md", mb(budget.configured()), mb(budget.effective()), room, mb(budget.maxHeap()));
        }
        String engineShare = budget.engine() == 0 ? ""
                : " (and " + mb(budget.engine()) + " for the engine's own memory)";
        log.info("Cache budget {} {}{} ({} max heap), mode {}, ttl {}, keys up to {} and values up to {} chars",
                mb(budget.effective()), room, engineShare, mb(budget.maxHeap()), properties.mode(), properties.ttl(),
                properties.maxKeyLength(), properties.maxValueLength());
        return budget;
    }

    @Bean
    CacheService cacheService(CacheProperties properties, EntryStore store) {
        return new CacheService(properties, store);
    }

    @Bean
    CacheMetrics cacheMetrics(CacheService cacheService) {
        return new CacheMetrics(cacheService);
    }

    /** The memory of the machine, or of the container (its limit) when there is one. */
    private static long totalMemory() {
        return ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class).getTotalMemorySize();
    }

    /** {@code -XX:MaxDirectMemorySize}, whose default (0) is the max heap. */
    private static long maxDirectMemory(long maxHeap) {
        long flag = Long.parseLong(JvmFlags.value("MaxDirectMemorySize", "0"));
        return flag > 0 ? flag : maxHeap;
    }

    private static String mb(long bytes) {
        return DataSize.ofBytes(bytes).toMegabytes() + "MB";
    }
}
