package dev.kvcache.cluster;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.kvcache.Http;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Cluster mode for real: three service JVMs (the packaged jar, small heaps) form a cluster over loopback; keys
 * written through the first must all survive the second's {@code kill -9}, read through the other two. The
 * same run with no backups must lose keys, which shows that the test can fail. Runs in the integration-test
 * phase, after the jar is built.
 */
class ClusterFailoverIT {

    private static final int KEYS = 1_000;

    private final List<Member> members = new ArrayList<>();

    @AfterEach
    void stopMembers() {
        members.forEach(member -> member.process().destroyForcibly());
    }

    @Test
    void withOneBackupLosingAMemberLosesNothing() throws Exception {
        assertThat(writeKillAndCountLost(1)).isZero();
    }

    @Test
    void withoutBackupsLosingAMemberLosesItsKeys() throws Exception {
        assertThat(writeKillAndCountLost(0)).isPositive();
    }

    /** Keys missing or wrong after member 2 is killed, read through members 1 and 3. */
    private int writeKillAndCountLost(int backups) throws Exception {
        start(backups);
        Member first = members.get(0);
        Member second = members.get(1);
        Member third = members.get(2);
        awaitCluster(3, first, second, third);

        inParallel(key -> assertThat(first.http().put(key, "value-of-" + key).statusCode()).isEqualTo(200));

        second.process().destroyForcibly().waitFor(); // kill -9: no goodbye to the others
        awaitCluster(2, first, third);

        List<String> lost = new ArrayList<>();
        inParallel(key -> {
            for (Member reader : List.of(first, third)) {
                HttpResponse<String> get = reader.http().getKey(key);
                if (get.statusCode() != 200 || !get.body().contains("\"value\":\"value-of-" + key + "\"")) {
                    synchronized (lost) {
                        lost.add(key + " via " + reader.port());
                    }
                }
            }
        });
        return lost.size();
    }

    private void start(int backups) throws IOException {
        int[] ports = freePorts(6);
        String memberList = IntStream.range(0, 3).mapToObj(i -> "127.0.0.1:" + ports[3 + i])
                .collect(Collectors.joining(","));
        String java = ProcessHandle.current().info().command().orElse("java");
        Path logs = Files.createDirectories(Path.of("target", "cluster-it"));
        String name = "it-" + ProcessHandle.current().pid() + "-" + backups;
        for (int i = 0; i < 3; i++) {
            Process process = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                    "-jar", new File("target/kv-cache.jar").getAbsolutePath(),
                    "--server.port=" + ports[i],
                    "--kvcache.mode=cluster",
                    "--kvcache.cluster.name=" + name,
                    "--kvcache.cluster.bind-address=127.0.0.1",
                    "--kvcache.cluster.port=" + ports[3 + i],
                    "--kvcache.cluster.members=" + memberList,
                    "--kvcache.cluster.backup-count=" + backups)
                    .redirectErrorStream(true)
                    .redirectOutput(logs.resolve(name + "-member-" + (i + 1) + ".log").toFile())
                    .start();
            members.add(new Member(process, ports[i], new Http(ports[i])));
        }
    }

    /** Every given member sees the expected number of members and is ready (joined, cluster safe). */
    private static void awaitCluster(int size, Member... members) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .untilAsserted(() -> {
                    for (Member member : members) {
                        assertThat(member.process().isAlive()).as("member on %d alive", member.port()).isTrue();
                        assertThat(member.http().get("/actuator/health/readiness").statusCode()).isEqualTo(200);
                        assertThat(member.http().get("/actuator/metrics/cache.cluster.members").body())
                                .contains("\"value\":" + size + ".0");
                    }
                });
    }

    private static void inParallel(KeyTask task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < KEYS; i++) {
                String key = "key-" + i;
                futures.add(pool.submit(() -> {
                    task.run(key);
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

    private static int[] freePorts(int count) throws IOException {
        int[] ports = new int[count];
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0);
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
        }
        finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
        return ports;
    }

    private interface KeyTask {
        void run(String key) throws Exception;
    }

    private record Member(Process process, int port, Http http) {
    }
}
