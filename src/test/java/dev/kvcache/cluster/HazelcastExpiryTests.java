package dev.kvcache.cluster;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.kvcache.cluster.ClusterProperties.Engine.HAZELCAST;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A put's time to live in cluster mode, on one Hazelcast member in this JVM: an entry must be readable until
 * its time has passed, wherever in a wall-clock second the put falls.
 *
 * <p>Hazelcast keeps an entry's expiration time in whole seconds, truncated ({@code TimeStripUtil.stripBaseTime}):
 * on its own an entry put 0.9 s into a second with a ttl of 1 s would expire 0.1 s later. {@code HazelcastStore}
 * therefore keeps the exact expiry in the value and gives Hazelcast a second more.
 */
class HazelcastExpiryTests {

    private static HazelcastStore store;

    @BeforeAll
    static void startAMember() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        ClusterProperties cluster = new ClusterProperties(HAZELCAST, List.of("127.0.0.1:" + port), "127.0.0.1",
                port, "expiry-" + ProcessHandle.current().pid(), 0);
        store = new HazelcastStore(cluster, Duration.ofMinutes(5), 64L * 1024 * 1024);
    }

    @AfterAll
    static void stopTheMember() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void anEntryWithTtlOfOneSecondIsReadableForItsWholeSecond() throws InterruptedException {
        List<String> early = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            while (System.currentTimeMillis() % 1000 < 850 || System.currentTimeMillis() % 1000 > 900) {
                Thread.onSpinWait(); // 0.85 to 0.9 s into a wall-clock second
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
    }

    /** And never served after it: gone once its ttl has passed, although Hazelcast holds it a second more. */
    @Test
    void anEntryIsGoneOnceItsTtlHasPassed() throws InterruptedException {
        store.put("passed", "v", TimeUnit.SECONDS.toNanos(1));
        assertThat(store.get("passed")).isEqualTo("v");
        Thread.sleep(1_050);
        assertThat(store.get("passed")).isNull();
        assertThat(store.delete("passed")).isFalse();
        store.put("kept", "v", 0);
        assertThat(store.get("kept")).isEqualTo("v");
    }
}
