package dev.kvcache.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.kvcache.support.Http;
import dev.kvcache.support.ServerTest;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/** Many clients at once, each on keys of its own: every read sees that client's own latest write. */
@ServerTest
class ConcurrentClientsTests {

    private static final int CLIENTS = 16;
    private static final int ROUNDS = 200;

    @LocalServerPort
    int port;

    @Test
    void everyClientReadsItsOwnWrites() throws Exception {
        Http http = new Http(port);
        List<Future<Integer>> clients = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            for (int c = 0; c < CLIENTS; c++) {
                String prefix = "client-" + c + "-";
                clients.add(pool.submit(() -> {
                    int checked = 0;
                    for (int round = 0; round < ROUNDS; round++) {
                        String key = prefix + (round % 10); // keys are revisited and overwritten
                        String value = prefix + "round-" + round;
                        assertThat(http.put(key, value).statusCode()).isEqualTo(200);
                        var get = http.getKey(key);
                        assertThat(get.statusCode()).isEqualTo(200);
                        assertThat(get.body()).isEqualTo(
                                "{\"status\":\"OK\",\"key\":\"" + key + "\",\"value\":\"" + value + "\"}");
                        checked++;
                    }
                    return checked;
                }));
            }
            for (Future<Integer> client : clients) {
                assertThat(client.get()).isEqualTo(ROUNDS);
            }
        }
        finally {
            pool.shutdownNow();
        }
    }
}
