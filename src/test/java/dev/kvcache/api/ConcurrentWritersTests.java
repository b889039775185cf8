package dev.kvcache.api;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

import dev.kvcache.support.Http;
import dev.kvcache.support.ServerTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Writers racing on the same few keys while readers read them, over real HTTP: every read answers 200 with a
 * value that one writer wrote whole for that key (never a mix of two, never a torn one), and once the writers
 * have stopped and one last value is written per key, every reader sees exactly that one.
 *
 * <p>Each value says who wrote it and ends with a checksum of the rest; its filler is a character of its own
 * writer, of a length that changes with every write. A value pieced together from two writes, or cut short,
 * fails the checksum; one that parses but was never written for that key is not in the key's set of written
 * values, to which writers add a value before they send it.
 */
@ServerTest
class ConcurrentWritersTests {

    private static final int KEYS = 6;
    private static final int WRITERS = 4;
    private static final int READERS = 4;
    private static final long RACE_MILLIS = 3_000;
    private static final int FINAL_READS_PER_KEY = 20;
    private static final String FILLERS = "abcdefghijklmnopqrstuvwxyz";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    @Test
    void readsSeeWholeWrittenValuesAndFinallyTheLastOne() throws Exception {
        Http http = new Http(port);
        String prefix = "cw-" + UUID.randomUUID() + "-";
        List<String> keys = new ArrayList<>();
        Map<String, Set<String>> written = new ConcurrentHashMap<>();
        for (int k = 0; k < KEYS; k++) {
            String key = prefix + k;
            keys.add(key);
            written.put(key, ConcurrentHashMap.newKeySet());
            String first = value(WRITERS, k, 0); // the "initial" writer, so that no read ever misses
            written.get(key).add(first);
            assertThat(http.put(key, first).statusCode()).isEqualTo(200);
        }

        Queue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong writes = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS + READERS);
        try {
            List<Future<?>> racers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                racers.add(pool.submit(() -> {
                    for (int seq = 1; !stop.get() && failures.isEmpty(); seq++) {
                        String key = keys.get(ThreadLocalRandom.current().nextInt(KEYS));
                        String value = value(writer, keys.indexOf(key), seq);
                        written.get(key).add(value); // before the put: a reader may see it as soon as it is sent
                        HttpResponse<String> put = http.put(key, value);
                        if (put.statusCode() != 200) {
                            failures.add("put " + key + " answered " + put.statusCode() + " " + put.body());
                        }
                        writes.incrementAndGet();
                    }
                }));
            }
            for (int r = 0; r < READERS; r++) {
                racers.add(pool.submit(() -> {
                    while (!stop.get() && failures.isEmpty()) {
                        String key = keys.get(ThreadLocalRandom.current().nextInt(KEYS));
                        String value = read(http, key, failures);
                        if (value != null) {
                            String problem = checkWhole(value);
                            if (problem != null) {
                                failures.add("read of " + key + " gave a " + problem + " value: " + value);
                            }
                            else if (!written.get(key).contains(value)) {
                                failures.add("read of " + key + " gave a value never written for it: " + value);
                            }
                        }
                        reads.incrementAndGet();
                    }
                }));
            }
            Thread.sleep(RACE_MILLIS);
            stop.set(true);
            for (Future<?> racer : racers) {
                racer.get();
            }
            assertThat(failures).as("failures while racing").isEmpty();
            assertThat(writes.get()).as("writes").isGreaterThan(100);
            assertThat(reads.get()).as("reads").isGreaterThan(100);

            // The writers have stopped: one last write per key, which every reader must then see.
            Map<String, String> last = new ConcurrentHashMap<>();
            for (int k = 0; k < KEYS; k++) {
                String value = value(WRITERS + 1, k, Integer.MAX_VALUE);
                assertThat(http.put(keys.get(k), value).statusCode()).isEqualTo(200);
                last.put(keys.get(k), value);
            }
            List<Future<?>> finalReaders = new ArrayList<>();
            for (int r = 0; r < READERS; r++) {
                finalReaders.add(pool.submit(() -> {
                    for (int i = 0; i < FINAL_READS_PER_KEY; i++) {
                        for (String key : keys) {
                            String value = read(http, key, failures);
                            if (value != null && !value.equals(last.get(key))) {
                                failures.add("after the last write, " + key + " read " + value);
                            }
                        }
                    }
                }));
            }
            for (Future<?> reader : finalReaders) {
                reader.get();
            }
            assertThat(failures).as("failures after the writers stopped").isEmpty();
        }
        finally {
            pool.shutdownNow();
        }
    }

    /** The value's text, or null (and a failure noted) if the read did not answer 200 with it. */
    private static String read(Http http, String key, Queue<String> failures) {
        HttpResponse<String> get = http.getKey(key);
        if (get.statusCode() != 200) {
            failures.add("get " + key + " answered " + get.statusCode() + " " + get.body());
            return null;
        }
        JsonNode body = JSON.readTree(get.body());
        if (!key.equals(body.get("key").asString())) {
            failures.add("get " + key + " answered for another key: " + get.body());
            return null;
        }
        return body.get("value").asString();
    }

    /**
     * {@code w<writer>:k<key>:s<seq>:<filler>:<crc32 of all before it>}; the filler is the writer's own
     * character, 20 to 199 of them depending on the sequence number, so consecutive values differ in length.
     */
    static String value(int writer, int key, int seq) {
        char fill = FILLERS.charAt(writer % FILLERS.length());
        String body = "w" + writer + ":k" + key + ":s" + seq + ":"
                + String.valueOf(fill).repeat(20 + Math.floorMod(seq * 37, 180)) + ":";
        return body + crc(body);
    }

    /** Null if the value is one whole {@link #value}, else what is wrong with it. */
    static String checkWhole(String value) {
        int end = value.lastIndexOf(':');
        if (end < 0 || !value.substring(end + 1).equals(crc(value.substring(0, end + 1)))) {
            return "checksum-failing";
        }
        String[] parts = value.split(":");
        if (parts.length != 5 || !parts[0].startsWith("w")) {
            return "malformed";
        }
        int writer = Integer.parseInt(parts[0].substring(1));
        char fill = FILLERS.charAt(writer % FILLERS.length());
        if (parts[3].chars().anyMatch(c -> c != fill)) {
            return "mixed";
        }
        return null;
    }

    private static String crc(String text) {
        CRC32 crc = new CRC32();
        crc.update(text.getBytes(StandardCharsets.US_ASCII));
        return String.format("%08x", crc.getValue());
    }

    @Test
    void theCheckCatchesMixedAndTornValues() {
        String a = value(0, 1, 5);
        String b = value(1, 1, 6);
        assertThat(checkWhole(a)).isNull();
        assertThat(checkWhole(b)).isNull();
        assertThat(checkWhole(a.substring(0, a.length() / 2) + b.substring(b.length() / 2))).isNotNull();
        assertThat(checkWhole(a.substring(0, a.length() - 1))).isNotNull();
        assertThat(checkWhole(a.replaceFirst("aaaa", "abaa"))).isNotNull();
        assertThat(value(WRITERS + 1, KEYS - 1, Integer.MAX_VALUE).length()).isLessThanOrEqualTo(256);
        for (int seq = 0; seq < 200; seq++) {
            assertThat(value(WRITERS, KEYS - 1, seq).length()).isLessThanOrEqualTo(256);
        }
    }
}
