package dev.kvcache.local.index;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The index on its own, against a map as its model: keys are numbers, an entry's "place" encodes the key it was
 * written for, so a slot can be checked against its key without any segment.
 */
class KeyIndexTests {

    private static final int PAGE = 4096;

    private final List<ByteBuffer> pages = new ArrayList<>();

    private KeyIndex index(int primaryBuckets) {
        return new KeyIndex((long) primaryBuckets * KeyIndex.BUCKET_BYTES, PAGE, () -> {
            ByteBuffer page = ByteBuffer.allocateDirect(PAGE);
            for (int i = 0; i < PAGE; i++) {
                page.put(i, (byte) 0x5A); // a reused segment's old bytes
            }
            pages.add(page);
            return page;
        });
    }

    /** Keys whose hashes collide in their low bits: all in a few primary buckets, with tags that collide too. */

    @Test
    void putFindRemoveMatchAModelWithLongChains() {
        KeyIndex index = index(16);
        Map<Long, Long> model = new HashMap<>();
        var random = new SplittableRandom(3);
        for (int step = 0; step < 200_000; step++) {
            long key = random.nextInt(5_000);
            long hash = spread(key) & ~0xFFFF_FFFFL | (key & 3); // 4 buckets' worth of low bits
            int op = random.nextInt(10);
            byte[] packed = bytes(key);
            if (op < 5) {
                long word = Slot.word(hash, Slot.place((int) (key % 1000), (int) (random.nextInt(1 << 18) * 8L)), 0);
                long replaced = index.put(hash, packed, word, keysOf(model));
                assertThat(replaced).isEqualTo(model.getOrDefault(key, 0L));
                model.put(key, word);
            }
            else if (op < 8) {
                long removed = index.remove(hash, packed, keysOf(model));
                assertThat(removed).isEqualTo(model.getOrDefault(key, 0L));
                model.remove(key);
            }
            else {
                long expected = model.getOrDefault(key, 0L);
                assertThat(index.find(hash, word -> word == expected)).isEqualTo(expected);
            }
        }
        assertThat(index.size()).isEqualTo(model.size());
        for (var entry : model.entrySet()) {
            long hash = spread(entry.getKey()) & ~0xFFFF_FFFFL | (entry.getKey() & 3);
            assertThat(index.at(hash, Slot.place(entry.getValue()))).isEqualTo(entry.getValue());
        }
    }

    /**
     * Threads put, find and remove keys of their own, all in a few chains (colliding hashes) that grow into overflow
     * buckets and shrink again, while others only find: each writer always finds exactly what it last put, and a
     * finder never sees a slot a key never had.
     */
    @Test
    void concurrentWritersAndReadersInCollidingChainsNeverLoseOrInventASlot() throws Exception {
        KeyIndex index = index(4);
        int writers = 4;
        int keysPerWriter = 400;
        var failures = new java.util.concurrent.ConcurrentLinkedQueue<String>();
        var done = new java.util.concurrent.atomic.AtomicBoolean();
        // place = (key, version): a slot names its key, so any slot found can be checked against its key
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            threads.add(new Thread(() -> {
                var random = new SplittableRandom(writer);
                long[] current = new long[keysPerWriter];
                for (int step = 0; step < 300_000; step++) {
                    int k = random.nextInt(keysPerWriter);
                    long key = writer * 10_000L + k;
                    long hash = collidingHash(key);
                    byte[] packed = bytes(key);
                    KeyIndex.Keys keys = (word, packedKey) -> keyOf(word) == Long.parseLong(
                            new String(packedKey, StandardCharsets.US_ASCII));
                    if (random.nextInt(3) > 0) {
                        long word = Slot.word(hash, placeOf(key, step), 0);
                        long replaced = index.put(hash, packed, word, keys);
                        boolean same = replaced == current[k]
                                || current[k] != 0 && Slot.place(replaced) == Slot.place(current[k]);
                        if (!same) {
                            failures.add("put of " + key + " replaced " + replaced + ", expected " + current[k]);
                        }
                        current[k] = word;
                    }
                    else {
                        long removed = index.remove(hash, packed, keys);
                        if ((removed == 0) != (current[k] == 0)
                                || removed != 0 && Slot.place(removed) != Slot.place(current[k])) {
                            failures.add("remove of " + key + " gave " + removed + ", expected " + current[k]);
                        }
                        current[k] = 0;
                    }
                    long expected = current[k];
                    long found = index.find(hash, word -> keyOf(word) == key);
                    if ((found == 0) != (expected == 0) || found != 0 && Slot.place(found) != Slot.place(expected)) {
                        failures.add("find of " + key + " gave " + found + ", expected " + expected);
                    }
                    if (found != 0) {
                        index.countRead(hash, found);
                    }
                    if (failures.size() > 10) {
                        return;
                    }
                }
            }));
        }
        for (int r = 0; r < 2; r++) {
            threads.add(new Thread(() -> {
                var random = new SplittableRandom();
                while (!done.get()) {
                    long key = random.nextInt(writers) * 10_000L + random.nextInt(keysPerWriter);
                    long found = index.find(collidingHash(key), word -> true);
                    if (found != 0 && Slot.frequency(found) > 3) {
                        failures.add("frequency out of range: " + found);
                    }
                    long exact = index.find(collidingHash(key), word -> keyOf(word) == key);
                    if (exact != 0 && keyOf(exact) != key) {
                        failures.add("found a slot of " + keyOf(exact) + " for " + key);
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        for (int i = 0; i < writers; i++) {
            threads.get(i).join();
        }
        done.set(true);
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failures).isEmpty();
        assertThat(pages).as("overflow pages taken").isNotEmpty();
    }

    /** All keys in 4 primary buckets, and with 8 distinct tags: tags collide, so keys decide. */
    private static long collidingHash(long key) {
        return (key & 7) << 43 | (key >>> 3 & 3);
    }

    /** A place that names the key (and a version, so that two puts of it differ). */
    private static long placeOf(long key, int version) {
        return Slot.place((int) (key % 100_000) + 1, (version & 0x3FF) * 8);
    }

    private static long keyOf(long word) {
        return Slot.segment(word) - 1;
    }

    private static long spread(long key) {
        long x = key * 0x9E3779B97F4A7C15L;
        return x ^ x >>> 29;
    }

    private static byte[] bytes(long key) {
        return Long.toString(key).getBytes(StandardCharsets.US_ASCII);
    }

    /** Keys know their slots through the model: a slot is the key's if the model holds that very word for it. */
    private static KeyIndex.Keys keysOf(Map<Long, Long> model) {
        return (word, packedKey) -> {
            long key = Long.parseLong(new String(packedKey, StandardCharsets.US_ASCII));
            Long held = model.get(key);
            return held != null && Slot.place(held) == Slot.place(word);
        };
    }
}
