package dev.kvcache.cluster;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.kvcache.support.ServiceProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A rolling restart of a three-member cluster under load: each member in turn gets SIGTERM (as a rolling update
 * sends it), exits, and starts again, and the next one goes only once the cluster is whole and safe again. Writers
 * keep putting through whichever members answer the whole time; afterwards every write that was acknowledged is
 * read back through every member. Infinispan hands a member's entries over when it leaves gracefully (and has
 * their backups besides), so none may be lost. Runs in the integration-test phase, after the jar is built.
 */
class ClusterRollingRestartIT {

    private static final Duration START = Duration.ofSeconds(120);

    private final ServiceProcess[] members = new ServiceProcess[3];
    private final int[] ports = ServiceProcess.freePorts(6);
    private final String name = "rolling-" + ProcessHandle.current().pid();

    @AfterEach
    void stopMembers() {
        for (ServiceProcess member : members) {
            if (member != null) {
                member.close();
            }
        }
    }

    @Test
    void aRollingRestartUnderLoadLosesNoAcknowledgedWrite() throws Exception {
        for (int i = 0; i < 3; i++) {
            members[i] = start(i, 0);
        }
        awaitWhole();

        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger refused = new AtomicInteger();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            Thread thread = new Thread(() -> {
                for (int n = 0; writing.get(); n++) {
                    String key = "w" + writer + "-" + n;
                    String value = "value-of-" + key;
                    ServiceProcess member = members[(writer + n) % 3];
                    try {
                        if (member.http().put(key, value).statusCode() == 200) {
                            acknowledged.put(key, value);
                        }
                        else {
                            refused.incrementAndGet();
                        }
                    }
                    catch (RuntimeException ex) { // a member down or closing: the client moves on
                        refused.incrementAndGet();
                    }
                }
            });
            thread.start();
            writers.add(thread);
        }

        for (int i = 0; i < 3; i++) {
            Thread.sleep(1_000);
            assertThat(members[i].terminate(Duration.ofSeconds(60))).as("member %d's exit status", i + 1).isZero();
            members[i] = start(i, i + 1);
            awaitWhole();
        }
        Thread.sleep(1_000);
        writing.set(false);
        for (Thread writer : writers) {
            writer.join();
        }

        assertThat(acknowledged).hasSizeGreaterThan(1_000);
        List<String> lost = new ArrayList<>();
        for (ServiceProcess reader : members) {
            acknowledged.forEach((key, value) -> {
                HttpResponse<String> get = reader.http().getKey(key);
                if (get.statusCode() != 200 || !get.body().contains("\"value\":\"" + value + "\"")) {
                    lost.add(key + " through the member on " + reader.port());
                }
            });
        }
        assertThat(lost).as("acknowledged writes lost of %d (%d refused while members restarted)",
                acknowledged.size(), refused.get()).isEmpty();
    }

    private ServiceProcess start(int member, int restart) {
        String memberList = IntStream.range(0, 3).mapToObj(i -> "127.0.0.1:" + ports[3 + i])
                .collect(Collectors.joining(","));
        return ServiceProcess.start(name + "-member-" + (member + 1) + "-start-" + restart, ports[member],
                "--kvcache.mode=cluster",
                "--kvcache.max-memory=64MB",
                "--kvcache.shutdown.drain=1s",
                "--kvcache.cluster.name=" + name,
                "--kvcache.cluster.bind-address=127.0.0.1",
                "--kvcache.cluster.port=" + ports[3 + member],
                "--kvcache.cluster.members=" + memberList,
                "--kvcache.cluster.backup-count=1");
    }

    /** Every member sees three members and is ready: joined, and every partition has its backup. */
    private void awaitWhole() {
        await().atMost(START).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
            for (ServiceProcess member : members) {
                assertThat(member.process().isAlive()).isTrue();
                assertThat(member.http().get("/actuator/health/readiness").statusCode()).isEqualTo(200);
                assertThat(member.http().get("/actuator/metrics/cache.cluster.members").body()).contains("\"value\":3.0");
            }
        });
    }
}
