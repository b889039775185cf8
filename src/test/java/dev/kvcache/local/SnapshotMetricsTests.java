package dev.kvcache.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import dev.kvcache.support.Http;
import dev.kvcache.support.ServerTest;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.kvcache.support.PrometheusScrape.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Warm restart's meters over real HTTP, with periodic snapshots every second: when the last snapshot was written,
 * and a failure that is newer than it while writes fail, until one succeeds again.
 */
@ServerTest(properties = "kvcache.snapshot.interval=1s")
class SnapshotMetricsTests {

    private static final Path DIRECTORY = Path.of("target", "snapshot-metrics-tests", Long.toString(System.nanoTime()))
            .toAbsolutePath();

    @DynamicPropertySource
    static void snapshotDirectory(DynamicPropertyRegistry registry) {
        registry.add("kvcache.snapshot.dir", DIRECTORY::toString);
    }

    @LocalServerPort
    int port;

    @Test
    void lastSuccessAndLastFailureSayHowTheLatestSnapshotsWent() throws IOException {
        Http http = new Http(port);
        http.put("kept", "in the snapshot");
        assertThat(gauge(http, "kvcache_snapshot_interval_seconds")).isEqualTo(1.0);
        assertThat(gauge(http, "kvcache_snapshot_last_failure_seconds")).isZero();

        double now = System.currentTimeMillis() / 1000.0;
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(gauge(http, "kvcache_snapshot_last_success_seconds")).isGreaterThanOrEqualTo(now));
        assertThat(DIRECTORY.resolve("kv-cache.snapshot")).exists();

        // A directory where the writer's temporary file goes: every write fails (even as root, which permissions
        // would not stop), and the snapshot directory stays as it is.
        Path inTheWay = Files.createDirectories(DIRECTORY.resolve("kv-cache.snapshot.tmp").resolve("in-the-way"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                gauge(http, "kvcache_snapshot_last_failure_seconds"))
                .isGreaterThan(gauge(http, "kvcache_snapshot_last_success_seconds")));

        Files.delete(inTheWay);
        Files.deleteIfExists(inTheWay.getParent()); // a write may have removed it once it was empty
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                gauge(http, "kvcache_snapshot_last_success_seconds"))
                .isGreaterThan(gauge(http, "kvcache_snapshot_last_failure_seconds")));
    }

    private static double gauge(Http http, String name) {
        return value(http.get("/actuator/prometheus").body(), name);
    }
}
