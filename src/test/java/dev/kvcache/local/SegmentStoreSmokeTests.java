package dev.kvcache.local;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SegmentStoreSmokeTests {

    @Test
    void smoke() {
        var clock = new AtomicLong();
        var store = new SegmentStore(16L << 20, clock::get);
        System.out.printf("segments %d of %d%n", store.segmentCount(), store.segmentSize());
        store.put("k", "v", 300_000_000_000L);
        assertThat(store.get("k")).isEqualTo("v");
        store.put("k", "w", 300_000_000_000L);
        assertThat(store.get("k")).isEqualTo("w");
        assertThat(store.size()).isEqualTo(1);
        assertThat(store.delete("k")).isTrue();
        assertThat(store.get("k")).isNull();
        long t0 = System.nanoTime();
        for (int i = 0; i < 500_000; i++) {
            store.put("key-" + i, "v".repeat(i % 257), 300_000_000_000L);
            if (i % 7 == 0) {
                store.get("key-" + (i - i % 1000));
            }
        }
        System.out.printf("%d ms, size %d, used %d, evictions %d, moves %d, forced %d, live %d%n",
                (System.nanoTime() - t0) / 1_000_000, store.size(), store.usedBytes(), store.evictionCount(),
                store.movedCount(), store.forcedEvictionCount(), store.liveBytes());
        for (int i = 499_000; i < 500_000; i++) {
            assertThat(store.get("key-" + i)).as("key-" + i).isEqualTo("v".repeat(i % 257));
        }
        assertThat(store.usedBytes()).isLessThanOrEqualTo(16L << 20);
        clock.addAndGet(400_000_000_000L);
        store.cleanUp();
        System.out.printf("after expiry: size %d, used %d, expirations %d%n", store.size(), store.usedBytes(),
                store.expirationCount());
        System.out.println(store.describe());
    }
}
