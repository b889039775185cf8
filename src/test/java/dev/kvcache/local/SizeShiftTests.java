package dev.kvcache.local;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.CRC32;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.kvcache.cache.CacheService;
import dev.kvcache.local.policy.YoungClimber;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A full cache whose values change sizes abruptly, phase after phase: what was just written stays readable, and
 * the segments and the index stay within the budget whatever the sizes. The real store on a small budget.
 */
class SizeShiftTests {

    private static final long BUDGET = 16L << 20;

    /** Value lengths of each phase: narrow, wide, uniform, and two far-apart bands at once. */
    private static final int[][][] PHASES = {
            { { 20, 60 } },
            { { 200, 256 } },
            { { 0, 256 } },
            { { 0, 16 }, { 240, 256 } },
            { { 20, 60 } },
    };

    /**
     * Writers put their own keys in phases of value sizes and read each one back at once: it must be there, with
     * the value just written (when less than half the young share was written meanwhile). Readers read other writers' recent keys: a hit is always a value written for its key.
     */
    @Test
    void everyAcknowledgedPutIsReadableAtOnceWhateverTheSizes() throws InterruptedException {
        SegmentStore store = LocalCaches.store(BUDGET, Ticker.systemTicker());
        CacheService cache = new CacheService(LocalCaches.settings(BUDGET, Duration.ofHours(1)), store);
        var failures = new ConcurrentLinkedQueue<String>();
        var recent = new AtomicReferenceArray<String>(1 << 12);
        var written = new AtomicLong();
        var readBack = new LongAdder();
        var otherHits = new LongAdder();
        long phaseBytes = 3 * BUDGET;
        long surelyReadable = (long) (BUDGET * YoungClimber.MIN_YOUNG_SHARE / 2);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 8; w++) {
            int writer = w;
            threads.add(start(() -> {
                var random = new SplittableRandom(writer);
                for (long n = 0; System.nanoTime() < deadline; n++) {
                    long bytes = written.get();
                    if (bytes >= PHASES.length * phaseBytes) {
                        return;
                    }
                    String key = key("w" + writer + "-" + n, random);
                    String value = value(key, n, length(PHASES[(int) (bytes / phaseBytes)], random), random);
                    cache.put(key, value);
                    written.addAndGet(LocalCaches.entryCost(key.length(), value.length()));
                    var back = cache.get(key);
                    // Unless the scheduler kept this writer away while the others wrote past the guarantee.
                    if (written.get() - bytes >= surelyReadable) {
                        continue;
                    }
                    readBack.increment();
                    if (back.isEmpty() || !back.get().equals(value)) {
                        failures.add(key + " (value of " + value.length() + ") read back at once: "
                                + back.map(v -> "another value").orElse("missing"));
                    }
                    recent.set(random.nextInt(recent.length()), key);
                }
            }));
        }
        for (int r = 0; r < 2; r++) {
            threads.add(start(() -> {
                var random = new SplittableRandom();
                while (threads.get(0).isAlive()) {
                    String key = recent.get(random.nextInt(recent.length()));
                    if (key != null) {
                        var value = cache.get(key);
                        if (value.isPresent()) {
                            otherHits.increment();
                            if (!isValueOf(key, value.get())) {
                                failures.add(key + " read a value not written for it");
                            }
                        }
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }

        assertThat(failures).as("failures among %d puts read back", readBack.sum()).isEmpty();
        assertThat(readBack.sum()).as("puts read back within the guarantee").isPositive();
        assertThat(written.get()).as("bytes written").isGreaterThan(PHASES.length * phaseBytes / 2);
        assertThat(otherHits.sum()).isPositive();
        assertThat(store.committedBytes()).as("off-heap memory").isLessThanOrEqualTo(BUDGET);
    }

    /**
     * Puts one at a time (from four threads in turn, as a server's threads would), phase after phase: once the
     * cache is full, entries leave only when the memory in use is at the budget, never because nothing but the
     * newest writes was left, and the segments and index stay within the budget.
     */
    @Test
    void segmentsFollowTheSizesAndEvictionWaitsForTheBudget() throws Exception {
        SegmentStore store = LocalCaches.store(BUDGET, Ticker.systemTicker());
        CacheService cache = new CacheService(LocalCaches.settings(BUDGET, Duration.ofHours(1)), store);
        var random = new SplittableRandom(7);
        ExecutorService[] threads = new ExecutorService[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = Executors.newSingleThreadExecutor();
        }
        long evictionsEarly = 0;
        long lowestAtEviction = Long.MAX_VALUE;
        long n = 0;
        for (int[][] phase : PHASES) {
            long evictionsBefore = cache.evictionCount();
            long forcedBefore = store.forcedEvictionCount();
            for (long bytes = 0; bytes < 3 * BUDGET; n++) {
                String key = key("k" + n, random);
                String value = value(key, n, length(phase, random), random);
                long used = cache.weightedSize();
                long evictions = cache.evictionCount();
                threads[(int) (n & 3)].submit(() -> cache.put(key, value)).get();
                bytes += LocalCaches.entryCost(key.length(), value.length());
                if (cache.evictionCount() > evictions) {
                    lowestAtEviction = Math.min(lowestAtEviction, used);
                    if (used < BUDGET * 0.95) {
                        evictionsEarly++;
                    }
                }
                assertThat(store.committedBytes()).as("off-heap memory").isLessThanOrEqualTo(BUDGET);
            }
            long evicted = cache.evictionCount() - evictionsBefore;
            long forced = store.forcedEvictionCount() - forcedBefore;
            System.out.printf("values %s: %d evictions, %d of them forced; %d entries moved so far; %d bytes of "
                    + "off-heap memory, %d held in entries; %s%n", Arrays.deepToString(phase), evicted, forced,
                    store.movedCount(), store.committedBytes(), store.liveBytes(), store.describe());
            assertThat(forced).as("evictions forced, of %d in this phase", evicted).isZero();
        }
        for (ExecutorService thread : threads) {
            thread.shutdown();
        }
        System.out.printf("lowest counted memory when a put evicted: %d of %d%n", lowestAtEviction, BUDGET);
        assertThat(evictionsEarly).as("puts that evicted below 95%% of the budget (lowest: %d)", lowestAtEviction)
                .isZero();
    }

    private static Thread start(Runnable task) {
        Thread thread = new Thread(task);
        thread.start();
        return thread;
    }

    /** A key of 1 to 200 characters that starts with its unique part. */
    private static String key(String unique, SplittableRandom random) {
        return unique + "-" + "k".repeat(random.nextInt(200 - unique.length()));
    }

    private static int length(int[][] bands, SplittableRandom random) {
        int[] band = bands[random.nextInt(bands.length)];
        return band[0] + random.nextInt(band[1] - band[0] + 1);
    }

    /**
     * A value of exactly {@code length} characters: the checksum of its key and the rest, then the version and
     * letters; below 9 characters, the first characters of the checksum of key and version (which only the writer,
     * who knows the version, can check).
     */
    private static String value(String key, long version, int length, SplittableRandom random) {
        if (length < 9) {
            return crc(key + "|" + version).substring(0, length);
        }
        StringBuilder rest = new StringBuilder().append(version).append('.');
        while (rest.length() < length - 8) {
            rest.append((char) ('a' + random.nextInt(26)));
        }
        rest.setLength(length - 8);
        return crc(key + "|" + rest) + rest;
    }

    private static boolean isValueOf(String key, String value) {
        return value.length() < 9 || value.substring(0, 8).equals(crc(key + "|" + value.substring(8)));
    }

    private static String crc(String text) {
        var crc = new CRC32();
        crc.update(text.getBytes(StandardCharsets.US_ASCII));
        return String.format("%08x", crc.getValue());
    }
}
