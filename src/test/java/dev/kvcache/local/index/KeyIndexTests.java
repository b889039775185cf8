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
