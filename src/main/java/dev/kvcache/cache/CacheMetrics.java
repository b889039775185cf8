package dev.kvcache.cache;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * The cache's meters, tagged {@code cache=kv}. Bound by hand rather than with Micrometer's
 * {@code CaffeineCacheMetrics}: that binder reports loads as {@code cache.puts}, and this cache never loads.
 */
final class CacheMetrics implements MeterBinder {

    private static final Tags TAGS = Tags.of("cache", "kv");

    private final CacheService cache;

    CacheMetrics(CacheService cache) {
        this.cache = cache;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("cache.gets", cache, CacheService::hitCount)
                .tags(TAGS).tag("result", "hit")
                .description("Lookups, by whether they found a live entry")
                .register(registry);
        FunctionCounter.builder("cache.gets", cache, CacheService::missCount)
                .tags(TAGS).tag("result", "miss")
                .description("Lookups, by whether they found a live entry")
                .register(registry);
        FunctionCounter.builder("cache.puts", cache, CacheService::putCount)
                .tags(TAGS)
                .description("Entries stored or replaced")
                .register(registry);
        FunctionCounter.builder("cache.deletes", cache, CacheService::deletedCount)
                .tags(TAGS).tag("result", "deleted")
                .description("Deletes, by whether they found a live entry to remove")
                .register(registry);
        FunctionCounter.builder("cache.deletes", cache, CacheService::deleteMissCount)
                .tags(TAGS).tag("result", "missing")
                .description("Deletes, by whether they found a live entry to remove")
                .register(registry);
        FunctionCounter.builder("cache.evictions", cache, CacheService::evictionCount)
                .tags(TAGS)
                .description("Entries removed to stay within the memory budget or because they expired")
                .register(registry);
        FunctionCounter.builder("cache.expirations", cache, CacheService::expirationCount)
                .tags(TAGS)
                .description("Entries removed because they expired (counted in cache.evictions too)")
                .register(registry);
        Gauge.builder("cache.size", cache, CacheService::size)
                .tags(TAGS)
                .description("Entries held")
                .register(registry);
        Gauge.builder("cache.memory.used", cache, CacheService::weightedSize)
                .tags(TAGS).baseUnit("bytes")
                .description("Memory the entries take, on the heap and off it, as weighed")
                .register(registry);
        Gauge.builder("cache.memory.budget", cache, CacheService::budgetBytes)
                .tags(TAGS).baseUnit("bytes")
                .description("Effective memory budget: kvcache.max-memory, cut to what heap and direct memory hold")
                .register(registry);
    }
}
