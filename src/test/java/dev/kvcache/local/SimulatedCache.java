package dev.kvcache.local;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.kvcache.cache.CacheService;

/** A cache as an eviction simulation sees it: gets that hit or miss, and puts. */
interface SimulatedCache {

    /** True on a hit. */
    boolean get(String key);

    void put(String key);

    /** Least recently used out first: the reference for recency. */
    static SimulatedCache lru(int capacity) {
        return linkedHashMap(capacity, true);
    }

    /** Oldest write out first, whatever was read since: the seed's 'removes oldest items'. */
    static SimulatedCache fifo(int capacity) {
        return linkedHashMap(capacity, false);
    }

    /**
     * Caffeine on its own, configured as the store configured it before the recency reserve: bounded by the
     * entries' weight in bytes (which also sets how Caffeine adapts its admission window), expiry after write,
     * maintenance on the calling thread.
     */
    static SimulatedCache caffeineAlone(int capacity, int entryWeight) {
        Cache<String, Boolean> cache = Caffeine.newBuilder()
                .maximumWeight((long) capacity * entryWeight)
                .weigher((String key, Boolean value) -> entryWeight)
                .expireAfterWrite(Duration.ofMinutes(5))
                .executor(Runnable::run)
                .build();
        return new SimulatedCache() {
            @Override
            public boolean get(String key) {
                return cache.getIfPresent(key) != null;
            }

            @Override
            public void put(String key) {
                cache.put(key, Boolean.TRUE);
            }
        };
    }

    /** The service's own store, as the application builds it, with a budget of {@code capacity} entries. */
    static SimulatedCache service(CacheService service, String value) {
        return new SimulatedCache() {
            @Override
            public boolean get(String key) {
                return service.get(key).isPresent();
            }

            @Override
            public void put(String key) {
                service.put(key, value);
            }
        };
    }

    private static SimulatedCache linkedHashMap(int capacity, boolean accessOrder) {
        Map<String, Boolean> map = new LinkedHashMap<>(16, 0.75f, accessOrder) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > capacity;
            }
        };
        return new SimulatedCache() {
            @Override
            public boolean get(String key) {
                return map.get(key) != null;
            }

            @Override
            public void put(String key) {
                map.put(key, Boolean.TRUE);
            }
        };
    }
}
