package dev.kvcache.local;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The recency reserve alone, on real slabs: what it takes in, how it drops buckets wholesale as the writes move
 * past its horizon, and that it never lets an older write stand for a newer one. Weights of 100 bytes and buckets
 * of 1,000 bytes of writes keep the arithmetic visible.
 */
class RecencyReserveTests {

    private static final int WEIGHT = 100;
    private static final long BUCKET = 1_000;

    private final Slabs slabs = new Slabs(Slabs.maxBytesFor(1 << 20));
    private final List<RecencyReserve.Held> dropped = new ArrayList<>();
    private final RecencyReserve reserve = new RecencyReserve(slabs, 10_000, BUCKET, 5_000, dropped::add);

    @Test
    void takesInWritesWithinTheHorizonAndLeavesOlderOnesToTheCaller() {
        IndexEntry recent = entry("recent", 9_500, ChunkLayout.NEVER);
        IndexEntry old = entry("old", 4_000, ChunkLayout.NEVER);

        assertThat(reserve.rescue(recent, WEIGHT, 9_500, 10_000)).isTrue();
        assertThat(reserve.rescue(old, WEIGHT, 4_000, 10_000)).as("5,000 bytes of writes past the horizon").isFalse();

        assertThat(reserve.get(recent)).isNotNull();
        assertThat(reserve.get(old)).isNull();
        assertThat(old.chunk).as("still the caller's to free").isNotZero();
        assertThat(slabs.isCurrent(old.chunk)).isTrue();
        assertThat(reserve.size()).isOne();
        assertThat(reserve.weight()).isEqualTo(WEIGHT);
    }

    @Test
    void dropsWholeBucketsOnceTheWritesHaveMovedThemPastTheHorizonAndFreesTheirChunks() {
        List<IndexEntry> entries = new ArrayList<>();
        for (long mark = 100; mark <= 3_000; mark += 100) { // three buckets' worth
            IndexEntry entry = entry("k" + mark, mark, ChunkLayout.NEVER);
            assertThat(reserve.rescue(entry, WEIGHT, mark, 3_000)).isTrue();
            entries.add(entry);
        }
        long firstChunk = entries.get(0).chunk;

        // Writes reach 6,001: the floor is 1,001, and the first bucket (marks 1 to 1,000) is wholly past it.
        reserve.rescue(entry("late", 6_001, ChunkLayout.NEVER), WEIGHT, 6_001, 6_001);

        assertThat(dropped).extracting(held -> held.writeMark).containsExactly(100L, 200L, 300L, 400L, 500L, 600L,
                700L, 800L, 900L, 1_000L);
        assertThat(reserve.get(entries.get(0))).isNull();
        assertThat(slabs.isCurrent(firstChunk)).as("a dropped entry's chunk is freed").isFalse();
        assertThat(reserve.get(entries.get(10))).as("mark 1,100: its bucket reaches past the floor").isNotNull();
        assertThat(reserve.weight()).isEqualTo(21 * WEIGHT);
    }

    @Test
    void aSmallerHorizonDropsAtOnceAndDroppingForRoomIgnoresTheHorizon() {
        for (long mark = 500; mark <= 5_000; mark += 500) {
            reserve.rescue(entry("k" + mark, mark, ChunkLayout.NEVER), WEIGHT, mark, 5_000);
        }
        assertThat(reserve.size()).isEqualTo(10);

        reserve.setHorizon(2_000, 5_000); // floor 3,000: buckets up to mark 3,000 go
        assertThat(reserve.horizon()).isEqualTo(2_000);
        assertThat(reserve.size()).isEqualTo(4);

        assertThat(reserve.dropOlderThan(4_000)).isEqualTo(2);
        assertThat(reserve.size()).isEqualTo(2);
        assertThat(reserve.horizon()).as("unchanged").isEqualTo(2_000);
    }

    @Test
    void anOlderWriteNeverStandsForANewerOneOfTheSameKey() {
        IndexEntry newer = entry("k", 9_000, ChunkLayout.NEVER);
        IndexEntry older = entry("k", 8_000, ChunkLayout.NEVER);
        assertThat(reserve.rescue(newer, WEIGHT, 9_000, 10_000)).isTrue();

        assertThat(reserve.rescue(older, WEIGHT, 8_000, 10_000)).as("evicted out of order").isFalse();
        assertThat(reserve.get(newer).entry).isSameAs(newer);

        IndexEntry newest = entry("k", 9_900, ChunkLayout.NEVER);
        long newerChunk = newer.chunk;
        assertThat(reserve.rescue(newest, WEIGHT, 9_900, 10_000)).isTrue();
        assertThat(reserve.get(newest).entry).isSameAs(newest);
        assertThat(slabs.isCurrent(newerChunk)).as("the replaced write's chunk is freed").isFalse();
    }

    @Test
    void aPutForgetsTheKeyUnlessTheReserveHoldsThePutsOwnEntry() {
        IndexEntry held = entry("k", 9_000, ChunkLayout.NEVER);
        reserve.rescue(held, WEIGHT, 9_000, 10_000);

        reserve.removeUnless(held, held);
        assertThat(reserve.get(held)).as("the put's own write, evicted at once").isNotNull();

        reserve.removeUnless(held, entry("k", 9_500, ChunkLayout.NEVER));
        assertThat(reserve.get(held)).as("an older write than the put's").isNull();
    }

    @Test
    void aDeleteRemovesOnlyItsOwnKeyAndSaysWhetherItWasLive() {
        IndexEntry live = entry("k", 9_000, ChunkLayout.NEVER);
        reserve.rescue(live, WEIGHT, 9_000, 10_000);

        assertThat(reserve.remove(live, ChunkLayout.packKey(ascii("another key")), 0)).isFalse();
        assertThat(reserve.get(live)).as("a key sharing the fingerprint is not this one").isNotNull();
        assertThat(reserve.remove(live, ChunkLayout.packKey(ascii("k")), 0)).isTrue();
        assertThat(reserve.get(live)).isNull();
        assertThat(dropped).as("a delete is no drop").isEmpty();
    }

    @Test
    void expiredEntriesLeaveOnCleanUpAndPromotedOnesAreNotCountedTwice() {
        IndexEntry expiring = entry("expiring", 9_000, 1_000);
        IndexEntry lasting = entry("lasting", 9_100, ChunkLayout.NEVER);
        reserve.rescue(expiring, WEIGHT, 9_000, 10_000);
        reserve.rescue(lasting, WEIGHT, 9_100, 10_000);

        reserve.promoted(reserve.get(lasting));
        assertThat(reserve.size()).as("the promoted one is in Caffeine too").isOne();

        assertThat(reserve.removeExpired(999)).isZero();
        assertThat(reserve.removeExpired(1_000)).isOne();
        assertThat(reserve.get(expiring)).isNull();
        assertThat(reserve.get(lasting)).isNotNull();
        assertThat(reserve.size()).isZero();
    }

    /** An entry of key {@code key} in a chunk of its own, with a fingerprint that is the key's (seed 0). */
    private IndexEntry entry(String key, long writeMark, long expiresAt) {
        byte[] packedKey = ChunkLayout.packKey(ascii(key));
        byte[] image = ChunkLayout.image(packedKey, key.length(), ascii("value"), writeMark, expiresAt);
        long chunk = slabs.allocate(image.length);
        slabs.write(chunk, ChunkLayout.KEY_LENGTH, image, image.length);
        return new IndexEntry(IndexEntry.fingerprint(0, packedKey), chunk, WEIGHT);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}
