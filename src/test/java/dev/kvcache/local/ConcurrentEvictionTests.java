package dev.kvcache.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
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
 * Many threads writing and reading a full cache at once, with young segments leaving, read entries moving on to
 * main, Caffeine evicting main segments and the tuner moving budget, all concurrently: every read of a key inside
 * the guaranteed share (half of it: the other half covers writes in flight, whose order is not their marks') hits,
 * a writer reads back at once the very value it put, and every hit is a value that was written for that key.
 */
class ConcurrentEvictionTests {

    private static final long BUDGET = 2_000_000;
    private static final int WRITERS = 4;
    private static final int READERS = 4;
    /** The writers write this many times the budget, or stop at the deadline on a very busy machine. */
    private static final long WRITTEN_BUDGETS = 12;
    private static final long DEADLINE_NANOS = Duration.ofSeconds(30).toNanos();

    /**
     * A write whose put has returned, and the bytes of writes that had returned before it began: every one of those
     * got its write mark before it, so what was written after its mark is at most what returned since, plus the
     * writes in flight (a bound taken when the put returned would miss the writes that overtook a put the
     * scheduler kept waiting).
     */
    private record Done(String key, long completedBefore) {
    }

    private CacheService cache = new CacheService(LocalCaches.settings(BUDGET, Duration.ofMinutes(5)),
            LocalCaches.store(BUDGET, Ticker.systemTicker()));
    private final AtomicLong completed = new AtomicLong();
    private final AtomicReferenceArray<Done> recent = new AtomicReferenceArray<>(1 << 14);
    private final AtomicLong writes = new AtomicLong();
    private final LongAdder guaranteedReads = new LongAdder();
    private final LongAdder otherHits = new LongAdder();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private volatile boolean writing = true;

    @Test
    void recentKeysAlwaysHitAndEveryHitIsAValueWrittenForItsKey() throws InterruptedException {
        run();
        assertThat(guaranteedReads.sum()).as("reads inside the guaranteed share").isGreaterThan(2_000);
    }

    /**
     * The same on a budget of a few dozen segments, where a drain is under way nearly all the time: entries read
     * while young move on to main segments, main segments leave and their read entries are written again, all while
     * the readers copy them. Recent keys still always hit, and every hit is a value written for its key.
     */
    @Test
    void everyHitIsAValueWrittenForItsKeyWhenSegmentsAreDrainedUnderTheReaders() throws InterruptedException {
        long budget = 300_000;
        SegmentStore store = LocalCaches.store(budget, Ticker.systemTicker());
        cache = new CacheService(LocalCaches.settings(budget, Duration.ofMinutes(5)), store);
        run(budget);
        assertThat(store.movedCount()).as("entries moved on to main segments").isPositive();
        assertThat(store.forcedEvictionCount()).as("entries dropped because nothing else made room").isZero();
    }

    private void run() throws InterruptedException {
        run(BUDGET);
    }

    private void run(long budget) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE_NANOS;
        List<Thread> writers = new ArrayList<>();
        List<Thread> readers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            writers.add(start(() -> write(writer, deadline, budget)));
        }
        for (int r = 0; r < READERS; r++) {
            readers.add(start(() -> read(budget)));
        }
        for (Thread thread : writers) {
            thread.join();
        }
        writing = false;
        for (Thread thread : readers) {
            thread.join();
        }

        assertThat(failures).isEmpty();
        assertThat(completed.get()).as("bytes written").isGreaterThan(5 * budget);
        assertThat(cache.evictionCount()).isPositive();
        assertThat(otherHits.sum()).as("hits on older keys").isPositive();
        cache.cleanUp();
        assertThat(cache.weightedSize()).isLessThanOrEqualTo(budget);
    }

    private static Thread start(Runnable task) {
        Thread thread = new Thread(task);
        thread.start();
        return thread;
    }

    private void write(int writer, long deadline, long budget) {
        long surelyReadable = (long) (budget * YoungClimber.MIN_YOUNG_SHARE / 2);
        var random = ThreadLocalRandom.current();
        for (long n = 0; completed.get() < WRITTEN_BUDGETS * budget && System.nanoTime() < deadline; n++) {
            // Now and then a writer writes one of its keys again (a new version): reads may see either version.
            long id = n > 100 && random.nextInt(10) == 0 ? n - 1 - random.nextLong(100) : n;
            String key = "w" + writer + "-" + id + "-" + "k".repeat(random.nextInt(40));
            String value = value(key, random.nextInt(1_000));
            long before = completed.get();
            cache.put(key, value);
            completed.addAndGet(LocalCaches.entryCost(key.length(), value.length()));
            // The writer's own read: this very version, unless the scheduler kept it away past the guarantee.
            Optional<String> back = cache.get(key);
            if (completed.get() - before < surelyReadable && (back.isEmpty() || !back.get().equals(value))) {
                failures.add(key + " read back at once: " + back.map(v -> "another value").orElse("missing"));
            }
            recent.set((int) (writes.getAndIncrement() & (recent.length() - 1)), new Done(key, before));
        }
    }

    private void read(long budget) {
        long surelyReadable = (long) (budget * YoungClimber.MIN_YOUNG_SHARE / 2);
        var random = ThreadLocalRandom.current();
        while (writing) {
            long newest = writes.get();
            if (newest < recent.length()) {
                continue;
            }
            Done done = recent.get((int) ((newest - 1 - random.nextInt(recent.length() / 2)) & (recent.length() - 1)));
            Optional<String> value = cache.get(done.key());
            // Measured after the read: an upper bound of what was written before it, however long the read waited.
            long writtenSince = completed.get() - done.completedBefore();
            if (writtenSince < surelyReadable) {
                guaranteedReads.increment();
                if (value.isEmpty()) {
                    failures.add(done.key() + " missed, " + writtenSince + " bytes after it was written"
                            + "; read again: " + cache.get(done.key()).isPresent());
                }
            }
            else if (value.isPresent()) {
                otherHits.increment();
            }
            if (value.isPresent() && !isValueOf(done.key(), value.get())) {
                failures.add(done.key() + " read a value not written for it");
            }
        }
    }

    /** A value of up to 255 characters that names its key, its version and a checksum of both. */
    private static String value(String key, int version) {
        String body = key + "|" + version + "|";
        String padding = "p".repeat(ThreadLocalRandom.current().nextInt(Math.max(1, 200 - body.length())));
        return body + padding + "|" + crc(body + padding);
    }

    private static boolean isValueOf(String key, String value) {
        int checksumAt = value.lastIndexOf('|');
        return value.startsWith(key + "|") && checksumAt > 0
                && value.substring(checksumAt + 1).equals(crc(value.substring(0, checksumAt)));
    }

    private static String crc(String text) {
        var crc = new CRC32();
        crc.update(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return Long.toHexString(crc.getValue());
    }
}
