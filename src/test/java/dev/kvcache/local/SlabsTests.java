package dev.kvcache.local;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

import dev.kvcache.cache.CacheProperties;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The slabs on their own: pages are written as a log of chunks of any size, a freed chunk's reference is stale at
 * once, a page whose chunks are all freed is written anew, the page cleaner's view of a page lists exactly its
 * live chunks, and a reader never takes the bytes of a chunk that was freed or moved under it for the chunk's own.
 */
class SlabsTests {

    @Test
    void chunksOfAnySizeShareAPageAndAFreedChunkIsStaleAtOnce() {
        Slabs slabs = new Slabs(16L * Slabs.PAGE_SIZE);
        long small = slabs.allocate(20);
        long large = slabs.allocate(1_000);
        long tiny = slabs.allocate(5);
        slabs.write(small, 4, filled(24, (byte) 1), 24);
        slabs.write(large, 4, filled(1_000, (byte) 2), 1_000);
        assertThat(slabs.copy(small)).hasSize(24).endsWith((byte) 1);
        assertThat(slabs.copy(large)).hasSize(1_000).endsWith((byte) 2);
        assertThat(slabs.usedBytes()).isEqualTo(24 + 1_000 + 8);
        assertThat(slabs.committedBytes()).as("one page for all three sizes").isEqualTo(Slabs.PAGE_SIZE);

        slabs.free(large);
        assertThat(slabs.isCurrent(large)).isFalse();
        assertThat(slabs.copy(large)).isNull();
        assertThat(slabs.isCurrent(small)).isTrue();
        assertThat(slabs.usedBytes()).isEqualTo(24 + 8);
        assertThat(slabs.allocate(1_000)).as("a new chunk, not the freed one").isNotEqualTo(large);
        assertThat(slabs.isCurrent(tiny)).isTrue();
    }

    @Test
    void sizesRoundUpToEightBytes() {
        assertThat(Slabs.chunkSize(1)).isEqualTo(8);
        assertThat(Slabs.chunkSize(286)).isEqualTo(288);
        assertThat(Slabs.chunkSize(478)).isEqualTo(480);
        assertThat(Slabs.chunkSize(1025)).isEqualTo(1032);
        int largest = ChunkLayout.size(CacheProperties.MAX_LENGTH, CacheProperties.MAX_LENGTH);
        assertThat(Slabs.maxChunkSize()).isGreaterThanOrEqualTo(largest).isLessThanOrEqualTo(Slabs.PAGE_SIZE);
    }

    @Test
    void aPageWhoseChunksAreAllFreedIsWrittenAnewAndItsOldReferencesAreStale() {
        Slabs slabs = new Slabs(8L * Slabs.PAGE_SIZE); // 6 pages for puts, 2 kept back for moves
        List<Long> chunks = new ArrayList<>();
        for (long chunk; (chunk = slabs.allocate(4_000)) != 0; ) {
            chunks.add(chunk);
        }
        assertThat(slabs.committedBytes()).isEqualTo(6L * Slabs.PAGE_SIZE);
        assertThat(slabs.allocateForMove(4_000)).as("the pages kept back for moves").isNotZero();

        chunks.forEach(slabs::free);
        long again = slabs.allocate(100_000);
        assertThat(again).isNotZero();
        assertThat(slabs.committedBytes()).isEqualTo(7L * Slabs.PAGE_SIZE);
        assertThat(chunks).allSatisfy(chunk -> assertThat(slabs.copy(chunk)).isNull());
        assertThat(slabs.isCurrent(again)).isTrue();
    }

    @Test
    void theCleanerTakesThePageWithTheMostFreedRoomAndSeesItsLiveChunks() {
        Slabs slabs = new Slabs(16L * Slabs.PAGE_SIZE);
        int perPage = Slabs.PAGE_SIZE / 4_096;
        List<Long> chunks = new ArrayList<>();
        for (int i = 0; i < 3 * perPage + 1; i++) { // three full pages, and one open
            chunks.add(slabs.allocate(4_096));
        }
        List<Long> kept = new ArrayList<>();
        for (int i = 0; i < 3 * perPage; i++) {
            boolean inSecondPage = i / perPage == 1;
            // The second page keeps every fourth chunk, the others every second.
            if (i % (inSecondPage ? 4 : 2) == 0) {
                kept.add(chunks.get(i));
            }
            else {
                slabs.free(chunks.get(i));
            }
        }
        int victim = slabs.takeVictim();
        List<Long> live = new ArrayList<>();
        slabs.forEachLive(victim, live::add);
        assertThat(live).containsExactlyElementsOf(kept.subList(perPage / 2, perPage / 2 + perPage / 4));

        live.forEach(slabs::free);
        assertThat(slabs.release(victim)).as("emptied, and recycled").isFalse();
        int next = slabs.takeVictim();
        assertThat(next).isNotNegative().isNotEqualTo(victim);
        assertThat(slabs.release(next)).as("still holds live chunks").isTrue();
    }

    /**
     * Writers allocate chunks of random sizes on a few pages, fill each with its own pattern, publish it in a slot,
     * and free the chunk the slot held; a cleaner empties pages by moving their live chunks, as the store's does
     * (a compare-and-set on the slot, the loser frees); readers copy published chunks: every copy that the slabs
     * call current holds exactly what was written for it.
     */
    @Test
    void aReaderNeverTakesBytesWrittenForAnotherChunk() throws InterruptedException {
        Slabs slabs = new Slabs(12L * Slabs.PAGE_SIZE);
        record Published(long chunk, int size, long tag) {
        }
        int slots = 2 * 1024;
        var published = new AtomicReferenceArray<Published>(slots);
        var failures = new ConcurrentLinkedQueue<String>();
        var currentCopies = new LongAdder();
        var staleCopies = new LongAdder();
        var moves = new LongAdder();
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        Object cleanerLock = new Object();
        // The cleaner: a page's live chunks go to copies; each one's slot is named by the tag written in it.
        Runnable clean = () -> {
            synchronized (cleanerLock) {
                int page = slabs.takeVictim();
                if (page < 0) {
                    return;
                }
                slabs.forEachLive(page, chunk -> {
                    byte[] copy = slabs.copy(chunk);
                    if (copy == null) {
                        return true;
                    }
                    long tag = ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).getLong(4);
                    int slot = (int) (tag >>> 32) & (slots - 1);
                    Published owner = published.get(slot);
                    if (owner == null || owner.chunk() != chunk) {
                        return true;
                    }
                    long to = slabs.allocateForMove(copy.length);
                    if (to == 0) {
                        return false;
                    }
                    slabs.write(to, 4, copy, copy.length);
                    if (published.compareAndSet(slot, owner, new Published(to, owner.size(), owner.tag()))) {
                        slabs.free(chunk);
                        moves.increment();
                    }
                    else {
                        slabs.free(to);
                    }
                    return true;
                });
                slabs.release(page);
            }
        };
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            int writer = w;
            threads.add(start(() -> {
                var random = ThreadLocalRandom.current();
                for (long n = 0; System.nanoTime() < deadline; n++) {
                    int size = 16 + (int) ((n >>> 12) % 8) * 120 + random.nextInt(120); // a band that moves
                    int slot = writer * (slots / 2) + random.nextInt(slots / 2);
                    long chunk = slabs.allocate(size);
                    if (chunk == 0) {
                        clean.run();
                        continue;
                    }
                    long tag = (long) slot << 32 | (n & 0xFFFF_FFFFL);
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
                    Published p = published.get(random.nextInt(slots));
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
                            failures.add("chunk of tag " + Long.toHexString(p.tag()) + " differs at " + i);
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
        assertThat(staleCopies.sum()).as("copies of chunks freed or moved under the reader").isPositive();
        assertThat(moves.sum()).as("chunks the cleaner moved").isPositive();
        assertThat(slabs.committedBytes()).isLessThanOrEqualTo(12L * Slabs.PAGE_SIZE);
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
