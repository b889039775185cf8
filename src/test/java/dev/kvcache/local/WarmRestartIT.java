package dev.kvcache.local;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

import dev.kvcache.snapshot.Snapshots;
import dev.kvcache.support.Http;
import dev.kvcache.support.ServiceProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Warm restart for real: the packaged service is stopped with SIGTERM (or {@code kill -9}) and started again on
 * the same snapshot directory. Every entry comes back with the same bytes and a time to live that kept counting;
 * a snapshot taken while writers write holds no torn value; {@code kill -9} loses at most the last interval; and
 * a bad file of each kind is logged, moved aside, and never stops the service.
 */
class WarmRestartIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration STOP = Duration.ofSeconds(30);

    @TempDir
    Path directory;

    private final List<ServiceProcess> started = new ArrayList<>();

    @AfterEach
    void stopAll() {
        started.forEach(ServiceProcess::close);
    }

    @Test
    void everyEntryComesBackWithTheSameBytesAndATimeToLiveThatKeptCounting() {
        ServiceProcess first = start("restart-first");
        Map<String, String> entries = new LinkedHashMap<>();
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 128; c++) {
            all.append(c);
        }
        entries.put(all.substring(0, 128), all.substring(1) + all.charAt(0)); // all 128 code points
        entries.put("empty", "");
        entries.put("k".repeat(256), "v".repeat(256)); // the longest key and value
        for (int i = 0; i < 500; i++) {
            entries.put("key-" + i, "value-" + i + "-" + "x".repeat(i % 200));
        }
        entries.forEach((key, value) -> assertThat(first.http().put(key, value).statusCode()).isEqualTo(200));
        long written = System.nanoTime();
        assertThat(first.http().put("expires-before-the-restart", "v", "1").statusCode()).isEqualTo(200);
        assertThat(first.http().put("expires-after-the-restart", "v", "12").statusCode()).isEqualTo(200);
        assertThat(first.http().put("acknowledged-just-before-sigterm", "last").statusCode()).isEqualTo(200);

        assertThat(first.terminate(STOP)).as("exit status").isZero();
        assertThat(first.log()).contains("Shutdown snapshot: " + (entries.size() + 3) + " entries")
                .doesNotContain("WARN", "ERROR");
        assertThat(Snapshots.fileIn(directory)).isNotEmptyFile();

        ServiceProcess second = start("restart-second");
        entries.forEach((key, value) -> assertThat(valueOf(second.http().getKey(key))).as(key).isEqualTo(value));
        assertThat(valueOf(second.http().getKey("acknowledged-just-before-sigterm"))).isEqualTo("last");
        assertThat(second.http().getKey("expires-before-the-restart").statusCode()).isEqualTo(404);
        assertThat(second.log()).containsPattern("Loaded " + (entries.size() + 2) + " entries \\(\\d+ bytes of keys"
                + " and values\\) from .* in \\d+ ms; skipped 1 expired");

        // Had its time to live started again at the restart, it would live some 4 seconds longer.
        assertThat(second.http().getKey("expires-after-the-restart").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(13).minusNanos(System.nanoTime() - written))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> second.http().getKey("expires-after-the-restart").statusCode() == 404);
        assertThat(Duration.ofNanos(System.nanoTime() - written)).isGreaterThanOrEqualTo(Duration.ofSeconds(11));
    }

    @Test
    void aSnapshotTakenWhileWritersWriteHoldsNoTornValueAndKillNineLosesAtMostTheLastInterval() throws Exception {
        ServiceProcess first = start("periodic-first", "--kvcache.snapshot.interval=1s");
        Map<String, Long> acknowledged = new ConcurrentHashMap<>(); // key -> when its first write was acknowledged
        List<Thread> writers = new ArrayList<>();
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            Thread thread = new Thread(() -> {
                Http http = first.http();
                var random = ThreadLocalRandom.current();
                for (int n = 0; System.nanoTime() < end; n++) {
                    // New keys, and overwrites of earlier ones with values of another length.
                    String key = "w" + writer + "-" + (n > 50 && random.nextBoolean() ? random.nextInt(n) : n);
                    if (http.put(key, checksummed(key, random.nextInt(250))).statusCode() == 200) {
                        acknowledged.putIfAbsent(key, System.nanoTime());
                    }
                }
            });
            thread.start();
            writers.add(thread);
        }
        for (Thread writer : writers) {
            writer.join();
        }
        long killed = System.nanoTime();
        first.kill();
        assertThat(first.log()).contains("Periodic snapshot:");

        ServiceProcess second = start("periodic-second", "--kvcache.snapshot.interval=1s");
        int restored = 0;
        for (Map.Entry<String, Long> entry : acknowledged.entrySet()) {
            HttpResponse<String> get = second.http().getKey(entry.getKey());
            if (get.statusCode() == 200) {
                restored++;
                String value = valueOf(get);
                assertThat(isChecksummed(entry.getKey(), value)).as("%s: %s", entry.getKey(), value).isTrue();
            }
            else if (killed - entry.getValue() > Duration.ofSeconds(3).toNanos()) {
                // Written more than an interval (1 s) and a snapshot's time before the kill: must be in the file.
                throw new AssertionError(entry.getKey() + " was acknowledged long before the kill and is lost");
            }
        }
        assertThat(restored).isGreaterThan(acknowledged.size() / 3);
    }

    @Test
    void aTruncatedSnapshotIsMovedAsideAndWhatVerifiedIsLoaded() throws IOException {
        int entries = writeSnapshot(8_000); // about 2.2 MB: three blocks
        Path file = Snapshots.fileIn(directory);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length * 2 / 3));
        assertStartsWithPartOfIt(entries, "truncated");
    }

    @Test
    void aFlippedBitIsDetectedAndTheFileMovedAside() throws IOException {
        int entries = writeSnapshot(8_000);
        Path file = Snapshots.fileIn(directory);
        try (RandomAccessFile raw = new RandomAccessFile(file.toFile(), "rw")) {
            long at = raw.length() * 3 / 4;
            raw.seek(at);
            int b = raw.read();
            raw.seek(at);
            raw.write(b ^ 0x10);
        }
        assertStartsWithPartOfIt(entries, "checksum");
    }

    @Test
    void aSnapshotOfAnotherVersionIsMovedAsideAndNothingLoaded() throws IOException {
        writeSnapshot(100);
        Path file = Snapshots.fileIn(directory);
        Files.write(file, withVersion(Files.readAllBytes(file), 3)); // a later format version
        assertStartsEmptyAndMovedAside("incompatible format version 3");
    }

    /** A snapshot of a build before the segments, blocks of entries under version 1, loads entry by entry. */
    @Test
    void aSnapshotOfVersionOneStillLoads() throws IOException {
        int entries = writeSnapshot(500);
        Path file = Snapshots.fileIn(directory);
        Files.write(file, withVersion(Files.readAllBytes(file), 1));
        ServiceProcess service = start("version-one");
        for (int i = 0; i < entries; i++) {
            assertThat(valueOf(service.http().getKey("key-" + i))).isEqualTo(value(i));
        }
        assertThat(service.log()).contains("Loaded " + entries + " entries").contains("a snapshot of version 1")
                .doesNotContain("WARN");
    }

    /** The file with another format version: the version after the 8-byte magic, and the header's checksum. */
    private static byte[] withVersion(byte[] bytes, int version) {
        ByteBuffer header = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(8, version);
        var crc = new CRC32C();
        crc.update(bytes, 0, 20);
        header.putInt(20, (int) crc.getValue());
        return bytes;
    }

    @Test
    void somethingThatIsNotASnapshotIsMovedAsideAndNothingLoaded() throws IOException {
        Files.writeString(Snapshots.fileIn(directory), "these are not the bytes you are looking for\n".repeat(100));
        assertStartsEmptyAndMovedAside("not a snapshot");
    }

    @Test
    void anEmptyFileIsMovedAsideAndNothingLoaded() throws IOException {
        Files.createFile(Snapshots.fileIn(directory));
        assertStartsEmptyAndMovedAside("empty");
    }

    @Test
    void aDirectoryWhereTheFileShouldBeIsMovedAsideAndNothingLoaded() throws IOException {
        Files.createDirectory(Snapshots.fileIn(directory));
        assertStartsEmptyAndMovedAside("directory");
    }

    @Test
    void aShutdownThatCannotWriteLogsAnErrorAndStillExitsInTime() throws IOException {
        Path blocked = directory.resolve("not-a-directory");
        Files.writeString(blocked, "a file where the snapshot directory should be");
        ServiceProcess service = start("unwritable", blocked);
        assertThat(service.http().put("k", "v").statusCode()).isEqualTo(200);
        assertThat(service.terminate(STOP)).as("exit status").isZero();
        assertThat(service.log()).contains("ERROR").contains("Shutdown snapshot failed").contains(blocked.toString());
        assertThat(blocked).hasContent("a file where the snapshot directory should be");
    }

    /** The service started on a snapshot damaged after about two thirds: some entries, not all, and a WARN. */
    private void assertStartsWithPartOfIt(int written, String problem) throws IOException {
        byte[] damaged = Files.readAllBytes(Snapshots.fileIn(directory));
        ServiceProcess service = start("damaged-" + problem.replace(' ', '-'));
        int found = 0;
        for (int i = 0; i < written; i++) {
            HttpResponse<String> get = service.http().getKey("key-" + i);
            if (get.statusCode() == 200) {
                found++;
                assertThat(valueOf(get)).isEqualTo(value(i));
            }
        }
        assertThat(found).as("entries of the blocks before the defect").isPositive().isLessThan(written);
        assertMovedAside(service, problem, damaged);
    }

    private void assertStartsEmptyAndMovedAside(String problem) throws IOException {
        Path file = Snapshots.fileIn(directory);
        byte[] bad = Files.isDirectory(file) ? null : Files.readAllBytes(file);
        ServiceProcess service = start("bad-" + problem.replace(' ', '-'));
        assertThat(metric(service.http(), "cache.size")).isZero();
        assertThat(service.http().put("still", "works").statusCode()).isEqualTo(200);
        assertMovedAside(service, problem, bad);
    }

    private void assertMovedAside(ServiceProcess service, String problem, byte[] bytes) throws IOException {
        Path file = Snapshots.fileIn(directory);
        assertThat(service.log()).containsPattern("WARN .*Snapshot " + file + " is defective: .*" + problem);
        assertThat(file).doesNotExist();
        try (Stream<Path> files = Files.list(directory)) {
            List<Path> aside = files.filter(p -> p.getFileName().toString().startsWith(Snapshots.FILE_NAME + ".corrupt-"))
                    .toList();
            assertThat(aside).hasSize(1);
            if (bytes != null) {
                assertThat(aside.get(0)).hasBinaryContent(bytes);
            }
        }
    }

    /** A snapshot of {@code count} entries key-i = value(i), written as the service writes them. */
    private int writeSnapshot(int count) throws IOException {
        Snapshots.write(directory, sink -> {
            for (int i = 0; i < count; i++) {
                sink.add(("key-" + i).getBytes(), value(i).getBytes(), 0, i + 1);
            }
        });
        return count;
    }

    private static String value(int i) {
        return i + "-" + "v".repeat(250);
    }

    private ServiceProcess start(String name, String... more) {
        return start(name, directory, more);
    }

    private ServiceProcess start(String name, Path snapshots, String... more) {
        String[] args = Stream.concat(Stream.of("--kvcache.snapshot.dir=" + snapshots, "--kvcache.shutdown.drain=0s",
                        "--kvcache.max-memory=64MB"),
                Stream.of(more)).toArray(String[]::new);
        ServiceProcess service = ServiceProcess.start("warm-restart-" + name, args);
        started.add(service);
        return service.awaitReady(START);
    }

    private static String checksummed(String key, int padding) {
        String body = key + "|" + "p".repeat(padding);
        return body + "|" + crc(body);
    }

    private static boolean isChecksummed(String key, String value) {
        int at = value.lastIndexOf('|');
        return value.startsWith(key + "|") && at > 0 && value.substring(at + 1).equals(crc(value.substring(0, at)));
    }

    private static String crc(String text) {
        var crc = new CRC32();
        crc.update(text.getBytes());
        return Long.toHexString(crc.getValue());
    }

    private static String valueOf(HttpResponse<String> get) {
        assertThat(get.statusCode()).as(get.body()).isEqualTo(200);
        return JSON.readTree(get.body()).get("value").asString();
    }

    private static double metric(Http http, String name) {
        String body = http.get("/actuator/metrics/" + name).body();
        return JSON.readTree(body).get("measurements").get(0).get("value").asDouble();
    }
}
