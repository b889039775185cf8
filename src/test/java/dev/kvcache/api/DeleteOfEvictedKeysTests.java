package dev.kvcache.api;

import java.net.http.HttpResponse;

import dev.kvcache.cache.CacheService;
import dev.kvcache.support.Http;
import dev.kvcache.support.ServerTest;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/** A delete of a key the budget pushed out answers as for a key never stored, over real HTTP. */
@ServerTest(properties = "kvcache.max-memory=1MB")
class DeleteOfEvictedKeysTests {

    /** 476 bytes each (docs/memory.md): seven times what a 1 MB budget holds. */
    private static final int ENTRIES = 15_000;

    @LocalServerPort
    int port;

    @Autowired
    CacheService cache;

    @Test
    void deleteOfAnEvictedKeyAnswers404AndOfAKeptOneAnswers200() {
        String value = "v".repeat(256);
        for (int i = 0; i < ENTRIES; i++) {
            cache.put(key(i), value); // through the service: the HTTP path is not what is tested here
        }
        cache.cleanUp();
        assertThat(cache.evictionCount()).as("evictions").isPositive();
        Http http = new Http(port);

        // The first keys written are long gone: neither the young segments nor the main ones hold them.
        String evicted = key(0);
        assertThat(http.getKey(evicted).statusCode()).as("evicted").isEqualTo(404);
        long missing = cache.deleteMissCount();
        HttpResponse<String> delete = http.deleteKey(evicted);
        assertThat(delete.statusCode()).isEqualTo(404);
        assertThat(delete.body()).isEqualTo("{\"status\":\"ERROR\",\"message\":\"Key not found\"}");
        assertThat(cache.deleteMissCount()).isEqualTo(missing + 1);

        // The newest write is always kept (docs/eviction.md), and its delete removes it.
        String newest = key(ENTRIES - 1);
        assertThat(http.deleteKey(newest).body()).isEqualTo("{\"status\":\"OK\",\"message\":\"Key deleted.\"}");
        assertThat(http.getKey(newest).statusCode()).isEqualTo(404);
    }

    private static String key(int i) {
        return String.format("evict-%06d-", i) + "k".repeat(243);
    }
}
