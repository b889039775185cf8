package dev.kvcache.cache;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The slabs on their own: chunks are reused and pages go from one size to another, and a reader never takes the
 * bytes of a chunk that was freed under it for the chunk's own.
 */
class SlabsTests {

    @Test
    void aFreedChunkIsReusedAndItsOldReferenceIsStale() {
        Slabs slabs = new Slabs(Slabs.PAGE_SIZE);
        long first = slabs.allocate(100);
        slabs.write(first, 4, filled(104, (byte) 1), 104);
        assertThat(slabs.copy(first)).hasSize(104).endsWith((byte) 1);
        assertThat(slabs.usedBytes()).isEqualTo(104);

        slabs.free(first);
        assertThat(slabs.usedBytes()).isZero();
        assertThat(slabs.isCurrent(first)).isFalse();
        assertThat(slabs.copy(first)).isNull();

        long second = slabs.allocate(100);
        assertThat(second).as("a new reference").isNotEqualTo(first);
        slabs.write(second, 4, filled(104, (byte) 2), 104);
        assertThat(slabs.copy(second)).endsWith((byte) 2);
        assertThat(slabs.copy(first)).as("the old reference to the reused chunk").isNull();
    }

    @Test
    void aPageThatEmptiedServesAnotherSizeAndItsOldReferencesAreStale() {
        Slabs slabs = new Slabs(Slabs.PAGE_SIZE); // one page
        List<Long> small = new ArrayList<>();
        for (long chunk; (chunk = slabs.allocate(64)) != 0; ) {
            small.add(chunk);
        }
        assertThat(small).hasSize(Slabs.PAGE_SIZE / 64);
        assertThat(slabs.allocate(200)).as("no page left for another size").isZero();

        small.forEach(slabs::free);
        long large = slabs.allocate(200);
        assertThat(large).isNotZero();
        assertThat(slabs.committedBytes()).isEqualTo(Slabs.PAGE_SIZE);
        assertThat(small).allSatisfy(chunk -> assertThat(slabs.copy(chunk)).isNull());
    }

    @Test
    void sizesRoundUpToTheirClass() {
        assertThat(Slabs.chunkSize(1)).isEqualTo(8);
        assertThat(Slabs.chunkSize(286)).isEqualTo(288);
        assertThat(Slabs.chunkSize(478)).isEqualTo(480);
        assertThat(Slabs.chunkSize(1025)).isBetween(1025, 1025 + 1025 / 16 + 8);
        int largest = StoredEntry.size(CacheProperties.MAX_LENGTH, CacheProperties.MAX_LENGTH);
        assertThat(Slabs.maxChunkSize()).isGreaterThanOrEqualTo(largest).isLessThanOrEqualTo(Slabs.PAGE_SIZE);
    }

    /**
     * Writers allocate chunks of random sizes on a few pages (so chunks are reused and pages change size class all
     * the time), fill each with its own pattern and publish it; readers copy published chunks: every copy that the
     * slabs call current holds exactly what was written for that chunk.
     */
    @Test
    void aReaderNeverTakesBytesWrittenForAnotherChunk() throws InterruptedException {
        Slabs slabs = new Slabs(8L * Slabs.PAGE_SIZE);
        record Published(long chunk, int size, long tag) {
        }
        var published = new AtomicReferenceArray<Published>(4096);
        var failures = new ConcurrentLinkedQueue<String>();
        var currentCopies = new LongAdder();
        var staleCopies = new LongAdder();
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            int writer = w;
            threads.add(start(() -> {
                var random = ThreadLocalRandom.current();
                for (long n = 0; System.nanoTime() < deadline; n++) {
                    // A size band that moves over time: pages empty in one class and are cut for another.
                    int size = 16 + (int) ((n >>> 14) % 8) * 120 + random.nextInt(120);
                    int slot = writer * 2048 + random.nextInt(2048);
                    long chunk = slabs.allocate(size);
                    if (chunk == 0) { // full: free a published chunk of this writer's and try later
                        Published old = published.getAndSet(slot, null);
                        if (old != null) {
                            slabs.free(old.chunk());
                        }
                        continue;
                    }
                    long tag = (long) writer << 48 | n;
                    slabs.write(chunk, 4, pattern(size, tag), size);
                    Published old = published.getAndSet(slot, new Published(chunk, size, tag));
                    if (old != null) {
                        slabs.free(old.chunk());
                    }
                }
            }));
        }
        for (int r = 0; r < 2; r++) {
            threads.add(start(() -> {
                var random = ThreadLocalRandom.current();
                while (System.nanoTime() < deadline) {
                    Published p = published.get(random.nextInt(published.length()));
                    if (p == null) {
                        continue;
                    }
                    byte[] copy = slabs.copy(p.chunk());
                    if (copy == null) {
                        staleCopies.increment();
                        continue;
                    }
                    currentCopies.increment();
                    byte[] expected = pattern(p.size(), p.tag());
                    for (int i = 4; i < p.size(); i++) {
                        if (copy[i] != expected[i]) {
                            failures.add("chunk of tag " + p.tag() + " differs at " + i);
                            break;
                        }
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failures).isEmpty();
        assertThat(currentCopies.sum()).isGreaterThan(10_000);
        assertThat(staleCopies.sum()).as("copies of chunks freed under the reader").isPositive();
        assertThat(slabs.committedBytes()).isLessThanOrEqualTo(8L * Slabs.PAGE_SIZE);
    }

    private static Thread start(Runnable task) {
        Thread thread = new Thread(task);
        thread.start();
        return thread;
    }

    /** Bytes 4.. of a chunk: the tag, then bytes that depend on it and the position. */
    private static byte[] pattern(int size, long tag) {
        byte[] bytes = new byte[size];
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (size >= 12) {
            buffer.putLong(4, tag);
        }
        for (int i = 12; i < size; i++) {
            bytes[i] = (byte) (tag * 31 + i);
        }
        return bytes;
    }

    private static byte[] filled(int size, byte value) {
        byte[] bytes = new byte[size];
        java.util.Arrays.fill(bytes, value);
        return bytes;
    }
}
