package dev.kvcache.api;

import java.time.Duration;

import dev.kvcache.support.Http;
import dev.kvcache.support.ServerTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Expiry in real time, with a short TTL and a clean-up interval too long to help: expired entries must leave
 * by themselves (Caffeine's scheduler), not only when someone reads them.
 */
@ServerTest(properties = { "kvcache.ttl=1s", "kvcache.cleanup-interval=1h" })
class ExpiryTests {

    @Autowired
    Http http;

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
