package dev.kvcache.cluster;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.kvcache.support.ServiceProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Cluster mode for real: three service JVMs (the packaged jar, small heaps) form a cluster over loopback. Keys
 * are written through the first (a quarter of them with a ttl of an hour), a tenth of them deleted through the
 * third, and some written with a ttl of one second through the first and the second. Then the second is killed
 * ({@code kill -9}), and through the other two every key written must be there, every key deleted must stay
 * deleted, and every key whose second has passed must be gone. The same run with no backups must lose keys,
 * which shows that the test can fail. Runs in the integration-test phase, after the jar is built.
 *
 * <p>That a key with a ttl is readable until its time has passed is checked on one member in
 * {@link InfinispanStoreTests}.
 */
class ClusterFailoverIT {

    private static final int KEYS = 1_000;
    private static final int BRIEF_KEYS = 100;
    private static final String NOT_FOUND = "{\"status\":\"ERROR\",\"message\":\"Key not found\"}";

    private final List<ServiceProcess> members = new ArrayList<>();

    @AfterEach
    void stopMembers() {
        members.forEach(ServiceProcess::close);
    }

    @Test
    void withOneBackupLosingAMemberLosesNothing() throws Exception {
        Outcome outcome = writeDeleteKillAndRead(1);
        assertThat(outcome.lost()).as("lost").isEmpty();
        assertThat(outcome.resurrected()).as("deleted, yet read back").isEmpty();
        assertThat(outcome.outlived()).as("read after their ttl").isEmpty();
    }

    /** What a member's death takes away; deletes and expiries hold whatever it takes. */
    @Test
    void withoutBackupsLosingAMemberLosesItsKeys() throws Exception {
        Outcome outcome = writeDeleteKillAndRead(0);
        assertThat(outcome.lost()).as("lost").isNotEmpty();
        assertThat(outcome.resurrected()).as("deleted, yet read back").isEmpty();
        assertThat(outcome.outlived()).as("read after their ttl").isEmpty();
    }

    /** Keys, each with the member it was read through, that broke a promise. */
    private record Outcome(List<String> lost, List<String> resurrected, List<String> outlived) {
    }

    /** A tenth of the keys are deleted before the kill. */
    private static boolean deleted(int i) {
        return i % 10 == 0;
    }

    /** A quarter of the keys (none of them deleted) live an hour by a ttl of their own, the rest kvcache.ttl. */
    private static boolean withTtl(int i) {
        return i % 4 == 1;
    }

    private Outcome writeDeleteKillAndRead(int backups) throws Exception {
        start(backups);
        ServiceProcess first = members.get(0);
        ServiceProcess second = members.get(1);
        ServiceProcess third = members.get(2);
        awaitCluster(3, first, second, third);

        inParallel(KEYS, i -> {
            String key = "key-" + i;
            HttpResponse<String> put = withTtl(i) ? first.http().put(key, "value-of-" + key, "3600")
                    : first.http().put(key, "value-of-" + key);
            assertThat(put.statusCode()).isEqualTo(200);
        });
        inParallel(KEYS, i -> {
            if (deleted(i)) {
                HttpResponse<String> delete = third.http().deleteKey("key-" + i);
                assertThat(delete.statusCode()).as(delete.body()).isEqualTo(200);
            }
        });
        // Written through the member about to die and through another.
        long[] lastAnswered = new long[1];
        inParallel(BRIEF_KEYS, i -> {
            String key = "brief-" + i;
            ServiceProcess writer = i % 2 == 0 ? first : second;
            assertThat(writer.http().put(key, "value-of-" + key, "1").statusCode()).isEqualTo(200);
            synchronized (lastAnswered) {
                lastAnswered[0] = Math.max(lastAnswered[0], System.nanoTime());
            }
        });

        second.process().destroyForcibly().waitFor(); // kill -9: no goodbye to the others
        awaitCluster(2, first, third);

        List<String> lost = new ArrayList<>();
        List<String> resurrected = new ArrayList<>();
        inParallel(KEYS, i -> {
            String key = "key-" + i;
            for (ServiceProcess reader : List.of(first, third)) {
                HttpResponse<String> get = reader.http().getKey(key);
                boolean found = get.statusCode() == 200
                        && get.body().contains("\"value\":\"value-of-" + key + "\"");
                if (deleted(i) ? get.statusCode() != 404 || !get.body().equals(NOT_FOUND) : !found) {
                    synchronized (lost) {
                        (deleted(i) ? resurrected : lost).add(key + " via " + reader.port() + ": " + get.statusCode());
                    }
                }
            }
            if (deleted(i) && first.http().deleteKey(key).statusCode() != 404) {
                synchronized (lost) {
                    resurrected.add(key + " deleted again via " + first.port());
                }
            }
        });

        // Every brief key expired at most a second after its put answered: none may be read, however it was kept.
        long sinceLast = System.nanoTime() - lastAnswered[0];
        if (sinceLast < 1_000_000_000L) {
            Thread.sleep((1_000_000_000L - sinceLast) / 1_000_000 + 1);
        }
        List<String> outlived = new ArrayList<>();
        inParallel(BRIEF_KEYS, i -> {
            String key = "brief-" + i;
            for (ServiceProcess reader : List.of(first, third)) {
                HttpResponse<String> get = reader.http().getKey(key);
                if (get.statusCode() != 404) {
                    synchronized (outlived) {
                        outlived.add(key + " via " + reader.port() + ": " + get.statusCode());
                    }
                }
            }
            if (first.http().deleteKey(key).statusCode() != 404) {
                synchronized (outlived) {
                    outlived.add(key + " deleted via " + first.port());
                }
            }
        });
        return new Outcome(lost, resurrected, outlived);
    }

    private void start(int backups) {
        int[] ports = ServiceProcess.freePorts(6);
        String memberList = IntStream.range(0, 3).mapToObj(i -> "127.0.0.1:" + ports[3 + i])
                .collect(Collectors.joining(","));
        String name = "cluster-it-" + ProcessHandle.current().pid() + "-" + backups;
        for (int i = 0; i < 3; i++) {
            members.add(ServiceProcess.start(name + "-member-" + (i + 1), ports[i],
                    "--kvcache.mode=cluster",
                    "--kvcache.cluster.name=" + name,
                    "--kvcache.cluster.bind-address=127.0.0.1",
                    "--kvcache.cluster.port=" + ports[3 + i],
                    "--kvcache.cluster.members=" + memberList,
                    "--kvcache.cluster.backup-count=" + backups));
        }
    }

    /** Every given member sees the expected number of members and is ready (joined, cluster safe). */
    private static void awaitCluster(int size, ServiceProcess... members) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .untilAsserted(() -> {
                    for (ServiceProcess member : members) {
                        assertThat(member.process().isAlive()).as("member on %d alive", member.port()).isTrue();
                        assertThat(member.http().get("/actuator/health/readiness").statusCode()).isEqualTo(200);
                        assertThat(member.http().get("/actuator/metrics/cache.cluster.members").body())
                                .contains("\"value\":" + size + ".0");
                    }
                });
    }

    /** Runs the task for 0 to count - 1 on 8 threads; the first failure fails the test. */
    private static void inParallel(int count, IndexTask task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    task.run(index);
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        }
        finally {
            pool.shutdownNow();
        }
    }

    private interface IndexTask {
        void run(int index) throws Exception;
    }

}
