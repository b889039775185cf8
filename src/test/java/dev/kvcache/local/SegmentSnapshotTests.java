package dev.kvcache.local;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import dev.kvcache.snapshot.ReadResult;
import dev.kvcache.snapshot.Snapshots;
import dev.kvcache.snapshot.WriteSummary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A store written to a snapshot segment by segment and restored into a new one, as a warm restart does: what was
 * live comes back with its value and the rest of its time to live, in the share it was in (young or main), and
 * nothing that was replaced, deleted or expired comes back.
 */
class SegmentSnapshotTests {

    private static final long MINUTE = Duration.ofMinutes(1).toNanos();

    @TempDir
    Path directory;

    private final AtomicLong before = new AtomicLong();
    private final AtomicLong after = new AtomicLong(-7 * MINUTE); // another process: another ticker origin

    @Test
    void whatWasLiveComesBackAndNothingElse() throws IOException {
        SegmentStore first = new SegmentStore(4_000_000, before::get);
        Map<String, String> live = new LinkedHashMap<>();
        for (int i = 0; i < 30_000; i++) {
            String key = "key-" + i;
            String value = i + "-" + "v".repeat(150 + i % 100);
            first.put(key, value, 60 * MINUTE);
            live.put(key, value);
            if (i % 10 == 0) {
                first.get(key); // read while young: main, once its segment leaves
            }
        }
        for (int i = 0; i < 30_000; i += 7) {
            first.put("key-" + i, "replaced-" + i, 60 * MINUTE);
            live.put("key-" + i, "replaced-" + i);
        }
        for (int i = 3; i < 30_000; i += 11) {
            first.delete("key-" + i);
            live.remove("key-" + i);
        }
        first.put("short", "lives a minute", MINUTE);
        live.keySet().removeIf(key -> !first.holds(key)); // evicted: the budget holds about 14,000
        before.addAndGet(10 * MINUTE); // "short" has expired
        long inMain = live.keySet().stream().filter(first::inMain).count();
        assertThat(inMain).as("entries in main").isPositive();

        WriteSummary written = Snapshots.writeSegments(directory, first::writeSegmentsTo);
        assertThat(written.entries()).isEqualTo(live.size());

        SegmentStore second = new SegmentStore(4_000_000, after::get);
        SegmentStore.Restore restore = second.restoring();
        ReadResult read = Snapshots.read(Snapshots.fileIn(directory), entry -> { }, restore::add);
        restore.finish();
        assertThat(read.complete()).isTrue();
        assertThat(restore.entries()).isEqualTo(live.size());
        assertThat(second.size()).isEqualTo(live.size());
        live.forEach((key, value) -> assertThat(second.get(key)).as(key).isEqualTo(value));
        assertThat(second.get("short")).isNull();
        assertThat(second.get("key-3")).as("deleted").isNull();
        assertThat(live.keySet().stream().filter(second::inMain).count()).as("entries in main").isEqualTo(inMain);

        String newest = "key-29999";
        assertThat(live).containsKey(newest);
        after.addAndGet(49 * MINUTE); // 59 minutes of their 60: still there
        assertThat(second.get(newest)).isNotNull();
        after.addAndGet(2 * MINUTE);
        assertThat(second.get(newest)).isNull();
    }

    @Test
    void aSmallerBudgetKeepsMainAndTheNewestWrites() throws IOException {
        SegmentStore first = new SegmentStore(4_000_000, before::get);
        for (int i = 0; i < 12_000; i++) {
            first.put("key-" + i, "v".repeat(200), 60 * MINUTE);
            if (i < 1_000) {
                first.get("key-" + i);
            }
        }
        for (int i = 0; i < 12_000; i++) { // the first thousand keys leave young for main
            first.put("flood-" + i, "v".repeat(200), 60 * MINUTE);
        }
        assertThat(first.inMain("key-0")).isTrue();
        Snapshots.writeSegments(directory, first::writeSegmentsTo);

        SegmentStore second = new SegmentStore(1_000_000, after::get);
        SegmentStore.Restore restore = second.restoring();
        Snapshots.read(Snapshots.fileIn(directory), entry -> { }, restore::add);
        restore.finish();
        assertThat(restore.full()).isTrue();
        assertThat(second.get("flood-11999")).as("the newest write").isNotNull();
        assertThat(second.get("key-0")).as("in main").isNotNull();
        assertThat(second.get("flood-0")).as("an older write that did not fit").isNull();
        assertThat(second.usedBytes()).isLessThanOrEqualTo(1_000_000);
    }
}
