package dev.kvcache.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.kvcache.support.ServiceProcess;
import org.jgroups.stack.Protocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Real Infinispan members in this JVM, on loopback: a put's exact time to live, the memory budget, and two members
 * sharing their entries. The cluster of service processes, with a member killed or restarted, is
 * {@link ClusterFailoverIT}'s and {@link ClusterRollingRestartIT}'s.
 */
class InfinispanStoreTests {

    private static final long MIB = 1L << 20;

    private final List<InfinispanStore> stores = new ArrayList<>();

    @AfterEach
    void stopMembers() {
        stores.forEach(InfinispanStore::close);
    }

    /** Members on free loopback ports, each listing all of them, under a cluster name of this run's own. */
    private List<InfinispanStore> start(int count, int backups, long budget) {
        int[] ports = ServiceProcess.freePorts(count);
        List<String> members = new ArrayList<>();
        for (int port : ports) {
            members.add("127.0.0.1:" + port);
        }
        String name = "store-tests-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        List<InfinispanStore> started = new ArrayList<>();
        for (int port : ports) {
            InfinispanStore store = new InfinispanStore(
                    new ClusterProperties(members, "127.0.0.1", port, name, backups), budget);
            stores.add(store);
            started.add(store);
        }
        return started;
    }

    @Test
    void anEntryLivesExactlyItsTtl() throws InterruptedException {
        InfinispanStore store = start(1, 0, 16 * MIB).get(0);
        List<String> early = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            while (System.currentTimeMillis() % 1000 < 850 || System.currentTimeMillis() % 1000 > 900) {
                Thread.onSpinWait(); // 0.85 to 0.9 s into a wall-clock second: no rounding to seconds may bite
            }
            String key = "brief-" + i;
            long sent = System.nanoTime();
            store.put(key, "v", TimeUnit.SECONDS.toNanos(1));
            Thread.sleep(300);
            String value = store.get(key);
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            if (value == null && elapsedMillis < 1000) {
                early.add(key + " gone " + elapsedMillis + " ms after its put");
            }
        }
        assertThat(early).as("entries gone before their ttl").isEmpty();

        store.put("passed", "v", TimeUnit.SECONDS.toNanos(1));
        assertThat(store.get("passed")).isEqualTo("v");
        Thread.sleep(1_010);
        assertThat(store.get("passed")).as("read after its ttl").isNull();
        assertThat(store.delete("passed")).as("deleted after its ttl").isFalse();
        store.put("kept", "v", 0);
        assertThat(store.get("kept")).isEqualTo("v");
        assertThat(store.delete("kept")).isTrue();
        assertThat(store.get("kept")).isNull();
        assertThat(store.delete("kept")).isFalse();
    }

    /** Keys and values are stored packed at 7 bits a character: every length and every ASCII character reads back. */
    @Test
    void everyAsciiTextReadsBackAsItWasPut() {
        InfinispanStore store = start(1, 0, 16 * MIB).get(0);
        StringBuilder ascii = new StringBuilder();
        for (char c = 0; c < 128; c++) {
            ascii.append(c);
        }
        for (int length = 0; length <= 128; length++) {
            String text = ascii.substring(0, length);
            String key = "k" + text;
            store.put(key, text, 0);
            assertThat(store.get(key)).as("value of %d characters", length).isEqualTo(text);
        }
        store.put("kab", "x", 0);
        assertThat(store.get("kab\u0000")).as("a key that packs to a longer form").isNull();
        assertThat(store.get("kab")).isEqualTo("x");
        assertThat(store.size()).isEqualTo(130);
    }

    /** Written over four times, a member keeps within its budget by evicting the least recently used. */
    @Test
    void aFullMemberEvictsWithinItsBudget() {
        long budget = 4 * MIB;
        InfinispanStore store = start(1, 0, budget).get(0);
        String value = "v".repeat(256);
        int written = 30_000; // about 17 MB of 256/256 entries
        for (int i = 0; i < written; i++) {
            store.put(String.format("%0256d", i), value, TimeUnit.HOURS.toNanos(1));
            assertThat(store.usedBytes()).isLessThanOrEqualTo(budget);
        }
        assertThat(store.evictionCount()).isPositive();
        assertThat(store.expirationCount()).isZero();
        assertThat(store.size()).isBetween(1_000L, (long) written - 1);
        assertThat(store.usedBytes()).isGreaterThan(budget * 8 / 10);
        for (int i = written - 100; i < written; i++) {
            assertThat(store.get(String.format("%0256d", i))).as("one of the newest writes").isEqualTo(value);
        }
        assertThat(store.get(String.format("%0256d", 0))).as("the oldest write").isNull();
    }

    /** With a backup, what is put through one member is read, deleted and kept through the other. */
    @Test
    void twoMembersShareTheirEntriesAndKeepThemWhenOneLeaves() {
        List<InfinispanStore> members = start(2, 1, 16 * MIB);
        InfinispanStore first = members.get(0);
        InfinispanStore second = members.get(1);
        await().atMost(Duration.ofSeconds(60)).until(() -> first.safe() && second.safe());
        assertThat(first.members()).isEqualTo(2);
        for (InfinispanStore member : members) { // the channel they run is this member's, not Infinispan's default
            List<String> protocols = member.channel().getProtocolStack().getProtocols().stream()
                    .map(Protocol::getName).toList();
            assertThat(protocols).contains("TCP", "TCPPING").doesNotContain("UDP", "MPING", "PING");
        }
        for (int i = 0; i < 1_000; i++) {
            first.put("key-" + i, "value-" + i, TimeUnit.HOURS.toNanos(1));
        }
        assertThat(second.delete("key-0")).isTrue();
        assertThat(first.size() + second.size()).as("each entry owned once").isEqualTo(999);
        assertThat(first.size()).isBetween(300L, 700L);

        first.close();
        stores.remove(first);
        await().atMost(Duration.ofSeconds(60)).until(() -> second.members() == 1 && second.safe());
        assertThat(second.get("key-0")).isNull();
        for (int i = 1; i < 1_000; i++) {
            assertThat(second.get("key-" + i)).isEqualTo("value-" + i);
        }
        assertThat(second.size()).isEqualTo(999);
    }
}
