package dev.kvcache;

import java.time.Duration;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Expiry in real time, with a short TTL and a clean-up interval too long to help: expired entries must leave
 * by themselves (Caffeine's scheduler), not only when someone reads them.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "kvcache.ttl=1s", "kvcache.cleanup-interval=1h" })
class ExpiryTests {

    @LocalServerPort
    int port;

    Http http;

    @BeforeEach
    void client() {
        http = new Http(port);
    }

    @Test
    void entriesExpireAfterTheirTtlAndLeaveWithoutBeingRead() {
        for (int i = 0; i < 10; i++) {
            assertThat(http.put("unread-" + i, "v").statusCode()).isEqualTo(200);
        }
        assertThat(http.put("read", "v").statusCode()).isEqualTo(200);
        assertThat(http.getKey("read").statusCode()).isEqualTo(200);

        // No reads or writes while waiting: only the scheduler can make the entries leave.
        await().atMost(Duration.ofSeconds(10)).until(() -> cacheSize() == 0);
        assertThat(http.getKey("read").statusCode()).isEqualTo(404);
    }

    private double cacheSize() {
        String body = http.get("/actuator/metrics/cache.size").body();
        return JsonMapper.builder().build().readTree(body).get("measurements").get(0).get("value").asDouble();
    }
}
