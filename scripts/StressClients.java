import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.CRC32;

/**
 * Demanding clients for scripts/stress.sh, run as a single source file ({@code java scripts/StressClients.java ...},
 * JDK 17+, no build): each client, on a keep-alive connection of its own, puts, reads, deletes and puts with a
 * short ttl keys it alone writes, puts and reads hot keys that all clients share, and floods unique keys, while
 * the values' lengths shift abruptly from phase to phase. Every value carries a checksum of its key and itself,
 * and every answer is checked:
 * <ul>
 * <li>fresh: a put's key read back at once answers exactly that value;</li>
 * <li>stale: a client's own key answers its newest value or 404, never an older one;</li>
 * <li>deleted: a deleted key answers 404 until it is put again;</li>
 * <li>expired: a key put with {@code "ttl":1} answers 404 from 1.2 s after its put on;</li>
 * <li>corrupt: any value read is one written for its key (checksum); no 5xx, no dropped connection.</li>
 * </ul>
 *
 * <pre>
 *   java scripts/StressClients.java PORT CLIENTS SECONDS SEED
 * </pre>
 * Prints a line per phase and a summary; exits 1 if any check failed.
 */
public class StressClients {

    /** Value lengths of each phase, mostly (9 values in 10) in its bands, else anywhere from 0 to 256. */
    private static final int[][][] PHASES = {
            { { 20, 60 } },
            { { 200, 256 } },
            { { 0, 256 } },
            { { 0, 16 }, { 240, 256 } },
    };
    private static final int OWN_KEYS = 1_500;
    private static final int HOT_KEYS = 64;
    private static final long TTL_MARGIN_NANOS = Duration.ofMillis(1_200).toNanos();

    private final int port;
    private final long deadline;
    private final long phaseNanos;
    private final long start = System.nanoTime();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final Map<String, LongAdder> counts = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong requests = new AtomicLong();

    StressClients(int port, long seconds) {
        this.port = port;
        this.deadline = start + Duration.ofSeconds(seconds).toNanos();
        this.phaseNanos = Math.max(1, Duration.ofSeconds(seconds).toNanos() / (2L * PHASES.length));
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: StressClients PORT CLIENTS SECONDS SEED");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        int clients = Integer.parseInt(args[1]);
        long seconds = Long.parseLong(args[2]);
        long seed = Long.parseLong(args[3]);
        StressClients stress = new StressClients(port, seconds);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Client client = stress.new Client(c, new SplittableRandom(seed * 1_000 + c));
            Thread thread = new Thread(client::run, "client-" + c);
            thread.start();
            threads.add(thread);
        }
        int lastPhase = -1;
        while (threads.stream().anyMatch(Thread::isAlive)) {
            int phase = stress.phase();
            if (phase != lastPhase && System.nanoTime() < stress.deadline) {
                System.out.printf("stress: %5.1f s phase %d (values %s), %d requests so far, %d failures%n",
                        (System.nanoTime() - stress.start) / 1e9, phase, describe(PHASES[phase % PHASES.length]),
                        stress.requests.get(), stress.failures.size());
                lastPhase = phase;
            }
            Thread.sleep(100);
        }
        var summary = new StringBuilder();
        stress.counts.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> summary.append(' ').append(e.getKey()).append('=').append(e.getValue().sum()));
        System.out.println("STRESS requests=" + stress.requests.get() + " failures=" + stress.failures.size()
                + summary);
        stress.failures.stream().limit(30).forEach(f -> System.out.println("FAIL " + f));
        System.exit(stress.failures.isEmpty() ? 0 : 1);
    }

    private int phase() {
        return (int) ((System.nanoTime() - start) / phaseNanos);
    }

    private void count(String what) {
        counts.computeIfAbsent(what, k -> new LongAdder()).increment();
    }

    private void fail(String kind, String detail) {
        count("fail_" + kind);
        failures.add(String.format("%.3f s %s: %s", (System.nanoTime() - start) / 1e9, kind, detail));
    }

    /** One client: its own connection, its own keys and what it last wrote to each. */
    final class Client {

        private final int id;
        private final SplittableRandom random;
        private Connection connection;
        /** Per own key: the newest acknowledged value (null: deleted or never written). */
        private final String[] keys = new String[OWN_KEYS];
        private final String[] latest = new String[OWN_KEYS];
        /** Per own key: when its ttl put is surely expired (nanoTime), or 0. */
        private final long[] expiredAfter = new long[OWN_KEYS];
        private long version;
        private long unique;

        Client(int id, SplittableRandom random) {
            this.id = id;
            this.random = random;
            for (int k = 0; k < OWN_KEYS; k++) {
                keys[k] = key("c" + id + "-" + k);
            }
        }

        void run() {
            try {
                while (System.nanoTime() < deadline) {
                    step();
                }
            }
            catch (Exception ex) {
                fail("client", "client " + id + " stopped: " + ex);
            }
            finally {
                if (connection != null) {
                    connection.close();
                }
            }
        }

        private void step() throws Exception {
            int roll = random.nextInt(100);
            int k = random.nextInt(OWN_KEYS);
            if (roll < 35) { // put an own key, read it back at once
                String value = value(keys[k]);
                if (put(keys[k], value, 0)) {
                    latest[k] = value;
                    expiredAfter[k] = 0;
                    readBack(keys[k], value);
                }
            }
            else if (roll < 55) { // read an own key: its newest value, or 404
                checkOwn(k);
            }
            else if (roll < 60) { // delete an own key: then 404
                var answer = send("DELETE", target("/delete", keys[k]), null);
                if (answer.status() != 200 && answer.status() != 404) {
                    fail("status", "DELETE " + printable(keys[k]) + " answered " + answer.status());
                    return;
                }
                count("delete");
                latest[k] = null;
                expiredAfter[k] = 0;
                var read = get(keys[k]);
                if (read != null) {
                    fail("deleted", printable(keys[k]) + " read back after its delete");
                }
            }
            else if (roll < 65) { // put with ttl 1 s: readable now, gone from 1.2 s on
                String value = value(keys[k]);
                long putSent = System.nanoTime();
                if (put(keys[k], value, 1)) {
                    latest[k] = value;
                    expiredAfter[k] = System.nanoTime() + TTL_MARGIN_NANOS;
                    // Its second may have run out before the read is answered, on a machine that stalls: then a
                    // miss is its expiry, not a lost write.
                    readBack(keys[k], value, putSent + Duration.ofSeconds(1).toNanos());
                }
            }
            else if (roll < 75) { // put a hot key
                String key = hotKey();
                String value = value(key);
                if (put(key, value, 0)) {
                    String read = get(key);
                    if (read == null) {
                        fail("fresh", "hot key " + key + " missing right after its put");
                    }
                    else if (!isValueOf(key, read)) {
                        fail("corrupt", "hot key " + key + " read a value not written for it");
                    }
                }
            }
            else if (roll < 85) { // read a hot key: any value written for it
                String key = hotKey();
                String read = get(key);
                if (read != null && !isValueOf(key, read)) {
                    fail("corrupt", "hot key " + key + " read a value not written for it");
                }
            }
            else { // flood: a unique key, read back at once
                String key = key("u" + id + "-" + unique++);
                String value = value(key);
                if (put(key, value, 0)) {
                    readBack(key, value);
                }
            }
        }

        private void checkOwn(int k) throws Exception {
            long before = System.nanoTime();
            String read = get(keys[k]);
            if (read == null) {
                return; // evicted, deleted or expired: all allowed
            }
            if (!isValueOf(keys[k], read)) {
                fail("corrupt", printable(keys[k]) + " read a value not written for it");
            }
            else if (latest[k] == null) {
                fail("deleted", printable(keys[k]) + " read a value after its delete");
            }
            else if (expiredAfter[k] != 0 && before > expiredAfter[k]) {
                fail("expired", printable(keys[k]) + " read after its ttl ("
                        + (before - expiredAfter[k] + TTL_MARGIN_NANOS) / 1_000_000 + " ms after its put)");
            }
            else if (!read.equals(latest[k])) {
                fail("stale", printable(keys[k]) + " read an older value than its newest");
            }
        }

        private void readBack(String key, String value) throws Exception {
            readBack(key, value, Long.MAX_VALUE);
        }

        /** The put's value read back at once; a miss answered from {@code mayExpireFrom} on may be its expiry. */
        private void readBack(String key, String value, long mayExpireFrom) throws Exception {
            String read = get(key);
            if (read == null) {
                if (mayExpireFrom != Long.MAX_VALUE && System.nanoTime() - mayExpireFrom >= 0) {
                    return;
                }
                fail("fresh", printable(key) + " (value of " + value.length()
                        + (mayExpireFrom == Long.MAX_VALUE ? "" : ", ttl 1 s") + ") missing right after its put");
            }
            else if (!read.equals(value)) {
                fail("fresh", printable(key) + " read another value right after its put");
            }
        }

        private boolean put(String key, String value, int ttl) throws Exception {
            String body = "{\"key\":" + json(key) + ",\"value\":" + json(value) + (ttl > 0 ? ",\"ttl\":" + ttl : "")
                    + "}";
            var answer = send("POST", "/put", body);
            count(ttl > 0 ? "put_ttl" : "put");
            if (answer.status() != 200) {
                fail("status", "PUT " + printable(key) + " answered " + answer.status() + " " + answer.body());
                return false;
            }
            return true;
        }

        /** The value read, or null on 404. */
        private String get(String key) throws Exception {
            var answer = send("GET", target("/get", key), null);
            count("get");
            if (answer.status() == 404) {
                return null;
            }
            if (answer.status() != 200) {
                fail("status", "GET " + printable(key) + " answered " + answer.status());
                return null;
            }
            String body = answer.body();
            int at = body.indexOf("\"value\":\"");
            String keyRead = jsonString(body, body.indexOf("\"key\":\"") + 7);
            if (at < 0 || !key.equals(keyRead)) {
                fail("corrupt", "GET " + printable(key) + " answered " + body);
                return null;
            }
            return jsonString(body, at + 9);
        }

        /** One request on the client's keep-alive connection; a connection the server closes is a failure. */
        private Response send(String method, String target, String body) throws IOException {
            requests.incrementAndGet();
            if (connection == null) {
                connection = new Connection(port);
            }
            Response response = connection.send(method, target, body);
            if (response.closed()) {
                fail("connection", "the server closed the connection after " + method + " " + target);
                connection.close();
                connection = null;
            }
            return response;
        }

        private String target(String path, String key) {
            return path + "?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8);
        }

        private String hotKey() {
            return "hot-" + random.nextInt(HOT_KEYS);
        }

        /** A key of 1 to 256 characters: its unique part, then any ASCII (some needing URL or JSON escaping). */
        private String key(String unique) {
            var key = new StringBuilder(unique);
            int length = random.nextInt(100) < 70 ? random.nextInt(unique.length(), 40) : random.nextInt(
                    unique.length(), 257);
            key.append('~'); // "~" appears in no unique part: keys stay unique
            while (key.length() < length) {
                int roll = random.nextInt(10);
                key.append(roll < 7 ? (char) ('a' + random.nextInt(26)) : (char) random.nextInt(128));
            }
            return key.toString();
        }

        /**
         * A value whose length follows the current phase: the checksum of its key and the rest, then its version
         * and letters; below 9 characters, the first characters of the checksum of key and version.
         */
        private String value(String key) {
            int[][] bands = PHASES[phase() % PHASES.length];
            int length;
            if (random.nextInt(10) == 0) {
                length = random.nextInt(257);
            }
            else {
                int[] band = bands[random.nextInt(bands.length)];
                length = random.nextInt(band[0], band[1] + 1);
            }
            long v = ++version;
            if (length < 9) {
                return crc(key + "|" + id + "." + v).substring(0, length);
            }
            var rest = new StringBuilder().append(id).append('.').append(v).append('.');
            while (rest.length() < length - 8) {
                rest.append((char) ('a' + random.nextInt(26)));
            }
            rest.setLength(length - 8);
            return crc(key + "|" + rest) + rest;
        }
    }

    private static boolean isValueOf(String key, String value) {
        return value.length() < 9 || value.substring(0, 8).equals(crc(key + "|" + value.substring(8)));
    }

    private static String crc(String text) {
        var crc = new CRC32();
        crc.update(text.getBytes(StandardCharsets.ISO_8859_1));
        return String.format("%08x", crc.getValue());
    }

    private static String json(String text) {
        var out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            }
            else if (c < 0x20 || c == 0x7F) {
                out.append(String.format("\\u%04x", (int) c));
            }
            else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** The JSON string starting at {@code from} (just after its opening quote), unescaped. */
    private static String jsonString(String json, int from) {
        var out = new StringBuilder();
        for (int i = from; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c == '"') {
                return out.toString();
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char escaped = json.charAt(++i);
            switch (escaped) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'u' -> {
                    out.append((char) Integer.parseInt(json.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> out.append(escaped);
            }
        }
        return null;
    }

    private static String printable(String key) {
        var out = new StringBuilder();
        for (char c : key.toCharArray()) {
            out.append(c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("\\x%02x", (int) c));
        }
        return out.length() > 60 ? out.substring(0, 60) + "..(" + key.length() + ")" : out.toString();
    }

    private static String describe(int[][] bands) {
        var out = new StringBuilder();
        for (int[] band : bands) {
            out.append(out.length() == 0 ? "" : " and ").append(band[0]).append('-').append(band[1]);
        }
        return out.toString();
    }

    record Response(int status, String body, boolean closed) {
    }

    /** A keep-alive HTTP/1.1 connection on loopback: a request, then its whole answer, in turn. */
    static final class Connection {

        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Connection(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(10_000);
            in = new BufferedInputStream(socket.getInputStream(), 8192);
            out = new BufferedOutputStream(socket.getOutputStream(), 8192);
        }

        Response send(String method, String target, String body) throws IOException {
            byte[] content = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
            var head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            if (content != null) {
                head.append("Content-Type: application/json\r\nContent-Length: ").append(content.length).append("\r\n");
            }
            out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            if (content != null) {
                out.write(content);
            }
            out.flush();
            String status = line();
            int code = Integer.parseInt(status.substring(9, 12));
            int length = -1;
            boolean chunked = false;
            boolean close = false;
            for (String header; !(header = line()).isEmpty(); ) {
                String name = header.substring(0, header.indexOf(':')).trim().toLowerCase();
                String value = header.substring(header.indexOf(':') + 1).trim();
                switch (name) {
                    case "content-length" -> length = Integer.parseInt(value);
                    case "transfer-encoding" -> chunked = value.equalsIgnoreCase("chunked");
                    case "connection" -> close = value.equalsIgnoreCase("close");
                    default -> {
                    }
                }
            }
            var bytes = new java.io.ByteArrayOutputStream();
            if (chunked) {
                for (int size; (size = Integer.parseInt(line().split(";")[0].trim(), 16)) > 0; line()) {
                    bytes.write(in.readNBytes(size));
                }
                line();
            }
            else if (length > 0) {
                bytes.write(in.readNBytes(length));
            }
            return new Response(code, bytes.toString(StandardCharsets.UTF_8), close);
        }

        private String line() throws IOException {
            var line = new StringBuilder();
            for (int b; (b = in.read()) != '\n'; ) {
                if (b < 0) {
                    throw new IOException("connection closed by the server");
                }
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }

        void close() {
            try {
                socket.close();
            }
            catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
