package dev.kvcache.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The segment store on its own, a fake clock, maintenance on the calling thread: how entries move between young
 * and main segments, how segments of one time to live leave whole, and what the index does when entries are tiny.
 */
class SegmentStoreTests {

    private static final long FIVE_MINUTES = Duration.ofMinutes(5).toNanos();

    private final AtomicLong nanos = new AtomicLong();

    @Test
    void entriesReadWhileYoungMoveOnToMainAndTheRestAreDropped() {
        SegmentStore store = new SegmentStore(2_000_000, nanos::get);
        List<String> read = new ArrayList<>();
        List<String> unread = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            String key = "first-" + i;
            store.put(key, "v".repeat(200), FIVE_MINUTES);
            (i % 2 == 0 ? read : unread).add(key);
        }
        read.forEach(store::get);
        fillWithUnread(store, "flood-", 3 * 2_000_000 / 260);

        assertThat(read).allSatisfy(key -> assertThat(store.inMain(key)).as(key).isTrue());
        assertThat(unread).allSatisfy(key -> assertThat(store.get(key)).as(key).isNull());
        assertThat(store.movedCount()).isGreaterThanOrEqualTo(read.size());
    }

    @Test
    void aMainSegmentThatLeavesWritesItsReadEntriesAgainAndDropsTheRest() {
        SegmentStore store = new SegmentStore(2_000_000, nanos::get);
        for (int i = 0; i < 2_000; i++) {
            store.put("main-" + i, "v".repeat(200), FIVE_MINUTES);
            if (i % 2 == 0) {
                store.get("main-" + i); // read while young: each goes on to main
            }
        }
        fillWithUnread(store, "flood-", 3 * 2_000_000 / 260);
        for (int i = 0; i < 2_000; i += 4) {
            assertThat(store.get("main-" + i)).isNotNull(); // read again in main: half of those in main
        }
        long moved = store.movedCount();
        // Read recent writes, so that they go on to main and main has to make room for them, again and again.
        for (int round = 0; round < 40; round++) {
            for (int i = 0; i < 500; i++) {
                String key = "pressure-" + round + "-" + i;
                store.put(key, "p".repeat(200), FIVE_MINUTES);
                if (i % 2 == 0) {
                    store.get(key);
                }
            }
            fillWithUnread(store, "flood-" + round + "-", 300);
        }
        assertThat(store.movedCount() - moved).as("entries written again or moved since").isPositive();
        long keptRead = 0;
        long keptUnread = 0;
        for (int i = 0; i < 2_000; i += 2) {
            if (store.get("main-" + i) != null) {
                if (i % 4 == 0) {
                    keptRead++;
                }
                else {
                    keptUnread++;
                }
            }
        }
        assertThat(keptRead).as("entries read again in main, of 500").isGreaterThan(keptUnread);
    }

    @Test
    void entriesOfOneTimeToLiveShareSegmentsThatLeaveWholeWhenTheyExpire() {
        SegmentStore store = new SegmentStore(8_000_000, nanos::get);
        store.cleanUp();
        long empty = store.usedBytes();
        for (int i = 0; i < 2_000; i++) {
            store.put("short-" + i, "s".repeat(200), Duration.ofSeconds(10).toNanos());
            store.put("long-" + i, "l".repeat(200), Duration.ofHours(1).toNanos());
        }
        long full = store.usedBytes();
        nanos.addAndGet(Duration.ofSeconds(10).toNanos());
        store.cleanUp();

        assertThat(store.get("short-0")).isNull();
        assertThat(store.get("long-0")).isNotNull();
        assertThat(store.size()).isEqualTo(2_000);
        assertThat(store.expirationCount()).isEqualTo(2_000);
        // The short entries' segments came back whole: about half of what the entries took.
        assertThat(store.usedBytes() - empty).isLessThan((full - empty) * 6 / 10);
        nanos.addAndGet(Duration.ofHours(1).toNanos());
        store.cleanUp();
        assertThat(store.size()).isZero();
        assertThat(store.usedBytes()).as("every segment back but the index's pages").isLessThanOrEqualTo(empty
                + (long) store.indexPages() * store.segmentSize());
    }

    @Test
    void liveBytesFollowOverwritesAndDeletes() {
        SegmentStore store = new SegmentStore(8_000_000, nanos::get);
        store.put("k", "short", FIVE_MINUTES);
        long before = store.liveBytes();
        store.put("k", "x".repeat(200), FIVE_MINUTES);
        assertThat(store.liveBytes()).isEqualTo(SegmentStore.entryCost(1, 200) - SegmentStore.INDEX_BYTES_PER_ENTRY)
                .isGreaterThan(before);
        assertThat(store.size()).isEqualTo(1);
        assertThat(store.delete("k")).isTrue();
        assertThat(store.liveBytes()).isZero();
        assertThat(store.size()).isZero();
    }

    /**
     * The index grows as it must: a budget of keys of 1 to 4 characters and empty values holds entries of 24 bytes
     * (16 for a 1-character key), far more than its primary buckets' slots, so chains grow into overflow buckets
     * taken from segments, about 10 bytes an entry. All of it stays within the budget, and every key finds its own
     * value.
     */
    @Test
    void aBudgetOfTheSmallestEntriesGrowsTheIndexWithinTheBudget() {
        long budget = 16_000_000;
        SegmentStore store = new SegmentStore(budget, nanos::get);
        int keys = 2_000_000;
        for (int i = 0; i < keys; i++) {
            store.put(Integer.toString(i, 36), "", FIVE_MINUTES);
        }
        store.cleanUp();
        System.out.printf("%d of %d entries held, %d index pages of %d bytes, %s%n", store.size(), keys,
                store.indexPages(), store.segmentSize(), store.describe());
        assertThat(store.indexPages()).as("overflow pages").isPositive();
        assertThat(store.usedBytes()).isLessThanOrEqualTo(budget);
        assertThat(store.committedBytes()).isLessThanOrEqualTo(budget);
        assertThat(store.size()).as("entries held").isGreaterThan(budget / (24 + 16));
        for (int i = keys - 1; i > keys - 10_000; i--) {
            assertThat(store.get(Integer.toString(i, 36))).as("newest keys").isEqualTo("");
        }
    }

    private static void fillWithUnread(SegmentStore store, String prefix, int entries) {
        for (int i = 0; i < entries; i++) {
            store.put(prefix + i, "f".repeat(200), FIVE_MINUTES);
        }
    }
}
