import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.HdrHistogram.Histogram;

/**
 * An open-loop HTTP/1.1 load client for kv-cache: requests leave on a fixed schedule whatever the server does,
 * and each one's latency counts from its scheduled start. Run as a single source file (JDK 17+):
 *
 * <pre>
 *   java -cp HdrHistogram-2.2.2.jar bench/OpenLoad.java --port 7171 --rate 4000 --duration 60
 * </pre>
 *
 * bench/open-loop.sh runs it against a full cache and an empty one; the method is in docs/performance.md.
 *
 * <h2>How it measures</h2>
 * A closed-loop client (wrk, a Gatling closed model) sends a connection's next request only when the previous
 * answer has come: a 60 ms pause then delays one request per connection, and the requests that would have come
 * during the pause are never sent, so their waiting is never counted (coordinated omission). Here request
 * {@code i} is due at {@code start + i / rate}. A timer thread sleeps until each due time and sends the request
 * on an idle keep-alive connection; when all are busy, due requests wait in a FIFO, and the I/O thread sends the
 * oldest on each connection whose answer it has just read. The latency recorded is completion minus due time, so
 * a request that waited behind a pause counts the whole wait: what wrk2 and HdrHistogram's
 * {@code recordValueWithExpectedInterval} correct for, measured rather than estimated. The latency from the
 * actual send (what a closed-loop tool would report) is kept beside it as {@code uncorrected}.
 *
 * <p>The client's own delay is measured too: for each request sent the moment it fell due (a connection was
 * idle), {@code lag} is send time minus due time: the timer's late wake-up (Linux's timer slack, 50 µs and more)
 * and any moment the client was not on a CPU. It is inside every latency; a lag p99 near the latencies measured
 * means the client, not the server, is being measured.
 *
 * <p>With {@code --rate 0} it is a closed loop instead (each connection sends its next request when its answer
 * arrives), with latency from the send: the fastest way to fill a cache, not a measure of latency.
 *
 * <h2>Workload</h2>
 * {@code --put-ratio} of the requests are {@code POST /put}, the rest {@code GET /get}, drawn at random. With
 * {@code --keys new} every put writes a new key ({@code --key-prefix} and a zero-padded sequence number from
 * {@code --key-from}, {@code --key-length} characters) and a get reads one of the last {@code --recent} keys
 * whose put answered 200. With {@code --keys N} the puts overwrite keys 0 to N-1 in turn and the gets read one
 * of them at random. Values are {@code --value-length} characters, the same as bench/fill.lua's. Requests are
 * rendered once; only the key's digits change. A put must answer 200; a get 200 (a hit) or 404 (a miss).
 *
 * <h2>Output</h2>
 * One line per window ({@code --window} seconds of completions; the warm-up, {@code --warmup} seconds, is one
 * window of its own): requests sent and completed, p50/p90/p99/p99.9/max from the schedule, status counts, the
 * client's lag, the longest FIFO of due-but-unsent requests, the client's and the server's CPU
 * ({@code --server-pid}, from /proc) and the GC pauses that ended in the window ({@code --gc-log}, a JVM unified
 * log with the {@code timemillis} decoration). {@code --tsv} writes the same rows as tab-separated values. Last,
 * one line {@code SUMMARY key=value ...} over everything after the warm-up.
 */
public class OpenLoad {

    static final String USAGE = """
            usage: OpenLoad [--host 127.0.0.1] [--port 7171] [--rate 4000 | 0] [--duration 60] [--requests N]
                            [--warmup 15] [--window 10] [--connections 64] [--put-ratio 0.5] [--keys new | N]
                            [--recent 4096] [--key-prefix ol-] [--key-from 0] [--key-length 256]
                            [--value-length 256] [--drain 10] [--gc-log FILE] [--server-pid PID]
                            [--clk-tck 100] [--tsv FILE] [--label TEXT] [--seed N]""";

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                System.err.println(USAGE);
                System.exit(2);
            }
            o.put(args[i].substring(2), args[++i]);
        }
        Config config = new Config(o);
        Load load = new Load(config);
        System.exit(load.run() ? 0 : 1);
    }

    /** The options, read once. */
    static final class Config {

        final String host;
        final int port;
        final double rate;
        final double duration;
        final long requests;
        final double warmup;
        final double window;
        final int connections;
        final double putRatio;
        final long keys; // 0: a new key for every put
        final int recent;
        final String keyPrefix;
        final long keyFrom;
        final int keyLength;
        final int valueLength;
        final double drain;
        final String gcLog;
        final long serverPid;
        final int clkTck;
        final String tsv;
        final String label;
        final long seed;

        Config(Map<String, String> o) {
            Map<String, String> left = new HashMap<>(o);
            host = take(left, "host", "127.0.0.1");
            port = Integer.parseInt(take(left, "port", "7171"));
            rate = Double.parseDouble(take(left, "rate", "4000"));
            requests = Long.parseLong(take(left, "requests", "0"));
            duration = seconds(take(left, "duration", rate > 0 ? "60" : "3600"));
            warmup = seconds(take(left, "warmup", rate > 0 ? "15" : "0"));
            window = seconds(take(left, "window", "10"));
            connections = Integer.parseInt(take(left, "connections", "64"));
            putRatio = Double.parseDouble(take(left, "put-ratio", "0.5"));
            String k = take(left, "keys", "new");
            keys = k.equals("new") ? 0 : Long.parseLong(k);
            recent = Integer.parseInt(take(left, "recent", "4096"));
            keyPrefix = take(left, "key-prefix", "ol-");
            keyFrom = Long.parseLong(take(left, "key-from", "0"));
            keyLength = Integer.parseInt(take(left, "key-length", "256"));
            valueLength = Integer.parseInt(take(left, "value-length", "256"));
            drain = seconds(take(left, "drain", "10"));
            gcLog = take(left, "gc-log", null);
            serverPid = Long.parseLong(take(left, "server-pid", "0"));
            clkTck = Integer.parseInt(take(left, "clk-tck", "100"));
            tsv = take(left, "tsv", null);
            label = take(left, "label", "");
            seed = Long.parseLong(take(left, "seed", String.valueOf(System.nanoTime())));
            if (!left.isEmpty()) {
                fail("unknown option(s) " + left.keySet() + "\n" + USAGE);
            }
            if (rate < 0 || (rate == 0 && requests <= 0) || connections < 1 || window <= 0 || warmup < 0
                    || (rate > 0 && warmup >= duration)) {
                fail("--rate 0 needs --requests; --warmup must be shorter than --duration\n" + USAGE);
            }
            if (keyLength - keyPrefix.length() < 10) { // room for the digits of any sequence number used here
                fail("--key-length must leave 10 characters after --key-prefix");
            }
        }

        private static String take(Map<String, String> o, String name, String fallback) {
            String value = o.remove(name);
            return value != null ? value : fallback;
        }

        private static double seconds(String text) {
            return Double.parseDouble(text.endsWith("s") ? text.substring(0, text.length() - 1) : text);
        }
    }

    static void fail(String message) {
        System.err.println("OpenLoad: " + message);
        System.exit(2);
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * One keep-alive connection. Its request fields are written under the lock by whichever thread sends on it;
     * its socket and {@code in} belong to the I/O thread, which reads the answer.
     */
    static final class Conn {

        SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        byte[] putBytes, getBytes; // its own copies: two threads render requests, each on its own connection
        ByteBuffer request; // rendered, not yet written
        boolean busy;
        boolean put;
        long seq; // its key's sequence number
        long due; // the request's scheduled start (closed loop: its send)
        long sent;
    }

    /** What one window counted; handed to the main thread whole, then never written. */
    static final class Window {

        final int index;
        final boolean warmup;
        final long start;
        long end;
        long sent, completed, status200, status404, statusOther, errors, puts, putsFailed, gets, hits;
        long backlogMax, clientCpuNanos, serverCpuTicks;
        final Histogram latency = new Histogram(3); // µs from the schedule; resizes itself
        final Histogram uncorrected = new Histogram(3); // µs from the send
        final Histogram lag = new Histogram(3); // µs from due to send, for requests sent when due

        Window(int index, boolean warmup, long start) {
            this.index = index;
            this.warmup = warmup;
            this.start = start;
        }
    }

    /** A GC pause from the log: when it ended (wall clock, ms) and how long it took. */
    record Pause(long endMillis, double millis, String kind) {
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * The load. Two threads: the timer sleeps until each request falls due and sends it itself when a connection
     * is idle (no hand-over: each wake-up costs 15 to 30 µs of CPU on a VM, as much as the rest of a request);
     * the I/O thread waits for answers, records them, and sends the oldest waiting request on the connection
     * that has just freed. All shared state is under one lock, never held across a socket's read or write.
     */
    static final class Load {

        final Config c;
        final boolean open;
        final Selector selector;
        final Object lock = new Object();
        final List<Conn> conns = new ArrayList<>();
        final ArrayDeque<Conn> idle = new ArrayDeque<>();
        long[] backlog = new long[1024]; // due times of requests waiting for a connection, a ring
        int backlogHead, backlogSize;
        final SplittableRandom random;
        final long total; // requests in the schedule (open) or in all (closed)
        final double nanosPerRequest;
        long start, wallStart, windowEnd;
        long nextIndex; // next request to fall due
        long sentCount, inFlight, reconnects;
        long putSeq;
        final long[] recentPuts;
        int recentCount, recentHead;
        Window window;

        final byte[] putTemplate, getTemplate;
        final int putKeyAt, getKeyAt, digitsAt, digits;

        final BlockingQueue<Object> windows = new LinkedBlockingQueue<>();
        final com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long lastClientCpu, lastServerTicks;

        Load(Config c) throws IOException {
            this.c = c;
            this.open = c.rate > 0;
            this.selector = Selector.open();
            this.random = new SplittableRandom(c.seed);
            this.total = open ? (long) Math.floor(c.duration * c.rate) : c.requests;
            this.nanosPerRequest = open ? 1e9 / c.rate : 0;
            this.recentPuts = new long[Math.max(1, c.recent)];
            // Requests rendered once; a request changes only in the digits of its key.
            String key = c.keyPrefix + "0".repeat(c.keyLength - c.keyPrefix.length());
            String hostHeader = "Host: " + c.host + ":" + c.port + "\r\n";
            String body = "{\"key\":\"" + key + "\",\"value\":\"" + jsonValue(c.valueLength) + "\"}";
            String put = "POST /put HTTP/1.1\r\n" + hostHeader + "Content-Type: application/json\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.US_ASCII).length + "\r\n\r\n" + body;
            String get = "GET /get?key=" + key + " HTTP/1.1\r\n" + hostHeader + "\r\n";
            putTemplate = put.getBytes(StandardCharsets.US_ASCII);
            getTemplate = get.getBytes(StandardCharsets.US_ASCII);
            putKeyAt = put.indexOf(key);
            getKeyAt = get.indexOf(key);
            digitsAt = c.keyPrefix.length();
            digits = c.keyLength - c.keyPrefix.length();
        }

        /** bench/fill.lua's value: printable ASCII, quotes and a backslash among it, escaped for JSON. */
        static String jsonValue(int length) {
            String pattern = "v0123456789abcdefghijklmnopqrstuvwxyz<>&'\\\"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
            String value = pattern.repeat(length / pattern.length() + 1).substring(0, length);
            return value.replace("\\", "\\\\").replace("\"", "\\\"");
        }

        boolean run() throws Exception {
            for (int i = 0; i < c.connections; i++) {
                Conn conn = new Conn();
                conn.putBytes = putTemplate.clone();
                conn.getBytes = getTemplate.clone();
                connect(conn);
                conns.add(conn);
                idle.add(conn);
            }
            System.out.println(describe());
            Thread io = new Thread(() -> {
                try {
                    io();
                }
                catch (Throwable ex) {
                    ex.printStackTrace();
                    windows.add(ex);
                }
            }, "io");
            io.start();
            return report();
        }

        String describe() {
            String mix = String.format(Locale.ROOT, "%.0f%% puts of %s, the rest gets of %s", c.putRatio * 100,
                    c.keys == 0 ? "new keys" : c.keys + " keys in turn",
                    c.keys == 0 ? "the last " + c.recent + " keys put" : "those keys at random");
            String load = open
                    ? String.format(Locale.ROOT, "%,.0f requests/s on a fixed schedule for %.0f s (the first %.0f s"
                            + " warm-up)", c.rate, c.duration, c.warmup)
                    : String.format(Locale.ROOT, "%,d requests, closed loop", c.requests);
            return String.format(Locale.ROOT, "OpenLoad: %s%s, %d connections to %s:%d, %s; keys %d, values %d"
                    + " characters", c.label.isEmpty() ? "" : c.label + ": ", load, c.connections, c.host, c.port,
                    mix, c.keyLength, c.valueLength);
        }

        void connect(Conn conn) throws IOException {
            SocketChannel channel = SocketChannel.open();
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.connect(new InetSocketAddress(c.host, c.port));
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ, conn);
            conn.channel = channel;
            conn.in.clear();
            conn.busy = false;
        }

        long due(long i) {
            return start + (long) (i * nanosPerRequest);
        }

        // ---- under the lock ------------------------------------------------------------------------------------

        /** Renders a request on an idle connection, to be written once the lock is released. */
        Conn prepare(Conn conn, long due) {
            boolean put = random.nextDouble() < c.putRatio || (c.keys == 0 && recentCount == 0);
            long seq;
            byte[] bytes;
            int at;
            if (put) {
                seq = c.keys == 0 ? c.keyFrom + putSeq++ : (putSeq++ % c.keys);
                bytes = conn.putBytes;
                at = putKeyAt;
            }
            else {
                seq = c.keys == 0 ? recentPuts[random.nextInt(Math.min(recentCount, recentPuts.length))]
                        : random.nextLong(c.keys);
                bytes = conn.getBytes;
                at = getKeyAt;
            }
            conn.seq = seq;
            for (int d = at + digitsAt + digits - 1; d >= at + digitsAt; d--) {
                bytes[d] = (byte) ('0' + seq % 10);
                seq /= 10;
            }
            conn.busy = true;
            conn.put = put;
            conn.due = due;
            conn.sent = System.nanoTime(); // the write follows at once, outside the lock
            conn.request = ByteBuffer.wrap(bytes);
            inFlight++;
            sentCount++;
            window.sent++;
            return conn;
        }

        void enqueue(long due) {
            if (backlogSize == backlog.length) {
                long[] bigger = new long[backlog.length * 2];
                for (int j = 0; j < backlogSize; j++) {
                    bigger[j] = backlog[(backlogHead + j) % backlog.length];
                }
                backlog = bigger;
                backlogHead = 0;
            }
            backlog[(backlogHead + backlogSize++) % backlog.length] = due;
            window.backlogMax = Math.max(window.backlogMax, backlogSize);
        }

        /** A connection just freed: the oldest waiting request, else the next of a closed loop, else idle. */
        Conn next(Conn conn, long now) {
            if (backlogSize > 0) {
                long due = backlog[backlogHead];
                backlogHead = (backlogHead + 1) % backlog.length;
                backlogSize--;
                return prepare(conn, due);
            }
            if (!open && sentCount < total) {
                return prepare(conn, now);
            }
            idle.add(conn);
            return null;
        }

        /** Ends the current window at now when it is due (or at the end); opens the next. */
        void roll(long now, boolean last) {
            if (!last && now < windowEnd) {
                return;
            }
            Window w = window;
            w.end = last ? now : windowEnd;
            long cpu = os.getProcessCpuTime();
            long ticks = serverTicks();
            w.clientCpuNanos = cpu - lastClientCpu;
            w.serverCpuTicks = ticks - lastServerTicks;
            lastClientCpu = cpu;
            lastServerTicks = ticks;
            windows.add(w);
            if (!last) {
                window = new Window(w.index + 1, false, w.end);
                window.backlogMax = backlogSize;
                windowEnd += (long) (c.window * 1e9);
            }
        }

        long serverTicks() {
            if (c.serverPid <= 0) {
                return 0;
            }
            try { // utime and stime, fields 14 and 15, counted after the command's closing parenthesis
                String stat = Files.readString(Path.of("/proc/" + c.serverPid + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return Long.parseLong(f[11]) + Long.parseLong(f[12]);
            }
            catch (IOException | RuntimeException ex) {
                return 0;
            }
        }

        // ---- outside the lock ----------------------------------------------------------------------------------

        /** Writes a prepared request; a socket that fails shows as broken to the I/O thread's next read. */
        static void write(Conn conn) {
            ByteBuffer out = conn.request;
            try {
                for (int tries = 0; out.hasRemaining() && tries < 1000; tries++) {
                    // A keep-alive connection with no request in flight has an empty send buffer: one write
                    // takes the whole request. The loop is for the socket that does not.
                    if (conn.channel.write(out) == 0) {
                        Thread.yield();
                    }
                }
            }
            catch (IOException ex) {
                // the I/O thread sees the connection fail and counts the request as an error
            }
        }

        // ---- the timer thread ----------------------------------------------------------------------------------

        /** Sleeps until the next request falls due, sends what has, on idle connections; the rest waits in order. */
        void timer() {
            List<Conn> ready = new ArrayList<>();
            long i = 0;
            while (i < total && !Thread.currentThread().isInterrupted()) {
                long now = System.nanoTime();
                long due = due(i);
                if (due > now) {
                    LockSupport.parkNanos(due - now);
                    continue;
                }
                synchronized (lock) {
                    roll(now, false);
                    while (i < total && (due = due(i)) <= now) {
                        i++;
                        if (backlogSize == 0 && !idle.isEmpty()) {
                            Conn conn = prepare(idle.poll(), due);
                            window.lag.recordValue(Math.max(0, conn.sent - due) / 1000);
                            ready.add(conn);
                        }
                        else {
                            enqueue(due);
                        }
                    }
                    nextIndex = i;
                }
                for (Conn conn : ready) {
                    write(conn);
                }
                ready.clear();
            }
        }

        // ---- the I/O thread ------------------------------------------------------------------------------------

        void io() throws IOException {
            start = System.nanoTime() + 50_000_000L; // the first request due after both threads are running
            wallStart = System.currentTimeMillis() + 50;
            long scheduleEnd = open ? due(total) : start + (long) (c.duration * 1e9);
            long deadline = scheduleEnd + (long) (c.drain * 1e9);
            synchronized (lock) {
                lastClientCpu = os.getProcessCpuTime();
                lastServerTicks = serverTicks();
                boolean warm = c.warmup > 0;
                window = new Window(0, warm, start);
                windowEnd = start + (long) ((warm ? c.warmup : c.window) * 1e9);
            }
            LockSupport.parkNanos(start - System.nanoTime());
            Thread timer = null;
            if (open) {
                timer = new Thread(this::timer, "timer");
                timer.setDaemon(true);
                timer.start();
            }
            else {
                List<Conn> ready = new ArrayList<>();
                synchronized (lock) {
                    while (sentCount < total && !idle.isEmpty()) {
                        ready.add(prepare(idle.poll(), System.nanoTime()));
                    }
                }
                ready.forEach(Load::write);
            }
            while (true) {
                // Answers wake this thread; the bound lets windows end on time when none come.
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    if (key.isValid() && key.isReadable()) {
                        read((Conn) key.attachment());
                    }
                }
                selector.selectedKeys().clear();
                long now = System.nanoTime();
                synchronized (lock) {
                    roll(now, false);
                    boolean scheduleDone = open ? nextIndex >= total : sentCount >= total;
                    if ((scheduleDone && inFlight == 0 && backlogSize == 0) || now >= deadline) {
                        break;
                    }
                }
            }
            if (timer != null) {
                timer.interrupt();
                try {
                    timer.join(1000);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            synchronized (lock) {
                roll(System.nanoTime(), true);
                long unfinished = (open ? total - nextIndex : total - sentCount) + backlogSize + inFlight;
                windows.add(new long[] { unfinished, reconnects });
            }
            for (Conn conn : conns) {
                conn.channel.close();
            }
        }

        void read(Conn conn) {
            int n;
            try {
                n = conn.channel.read(conn.in);
            }
            catch (IOException ex) {
                n = -1;
            }
            if (n < 0) {
                broken(conn);
                return;
            }
            int status = complete(conn.in);
            if (status == 0) {
                if (!conn.in.hasRemaining()) { // an answer larger than any this API gives
                    broken(conn);
                }
                return;
            }
            long now = System.nanoTime();
            conn.in.clear();
            Conn again = null;
            boolean lost;
            synchronized (lock) {
                lost = !conn.busy; // an answer to nothing: the protocol is lost on this connection
                if (!lost) {
                    roll(now, false);
                    completed(conn, status, now);
                    again = next(conn, System.nanoTime());
                }
            }
            if (again != null) {
                write(again);
            }
            if (lost) {
                broken(conn);
            }
        }

        /** Records an answer (under the lock). */
        void completed(Conn conn, int status, long now) {
            Window w = window;
            w.completed++;
            inFlight--;
            conn.busy = false;
            w.latency.recordValue(Math.max(0, now - conn.due) / 1000);
            w.uncorrected.recordValue(Math.max(0, now - conn.sent) / 1000);
            if (status == 200) {
                w.status200++;
            }
            else if (status == 404) {
                w.status404++;
            }
            else {
                w.statusOther++;
            }
            if (conn.put) {
                w.puts++;
                if (status != 200) {
                    w.putsFailed++;
                }
                else if (c.keys == 0) {
                    recentPuts[recentHead] = conn.seq;
                    recentHead = (recentHead + 1) % recentPuts.length;
                    recentCount = Math.min(recentCount + 1, recentPuts.length);
                }
            }
            else {
                w.gets++;
                if (status == 200) {
                    w.hits++;
                }
            }
        }

        /** A closed or failed connection: its request counts as an error, and a new connection replaces it. */
        void broken(Conn conn) {
            synchronized (lock) {
                if (conn.busy) {
                    window.errors++;
                    inFlight--;
                    conn.busy = false;
                }
                idle.remove(conn);
            }
            try {
                conn.channel.close();
            }
            catch (IOException ignored) {
                // closing a broken socket
            }
            Conn again;
            try {
                connect(conn);
            }
            catch (IOException ex) { // the server is gone: this connection stays out
                System.err.println("OpenLoad: cannot reconnect: " + ex.getMessage());
                return;
            }
            synchronized (lock) {
                reconnects++;
                again = next(conn, System.nanoTime());
            }
            if (again != null) {
                write(again);
            }
        }

        /** Status of the whole answer in the buffer, or 0 while it is incomplete. */
        static int complete(ByteBuffer in) {
            byte[] b = in.array();
            int length = in.position();
            int headerEnd = -1;
            for (int i = 3; i < length; i++) {
                if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
                    headerEnd = i + 1;
                    break;
                }
            }
            if (headerEnd < 0 || length < 12) {
                return 0;
            }
            long contentLength = -1;
            boolean chunked = false;
            int line = 0;
            while (line < headerEnd) {
                int eol = line;
                while (eol < headerEnd && b[eol] != '\r') {
                    eol++;
                }
                if (startsWithIgnoreCase(b, line, eol, "content-length:")) {
                    contentLength = Long.parseLong(new String(b, line + 15, eol - line - 15,
                            StandardCharsets.US_ASCII).trim());
                }
                else if (startsWithIgnoreCase(b, line, eol, "transfer-encoding:")) {
                    chunked = new String(b, line, eol - line, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT)
                            .contains("chunked");
                }
                line = eol + 2;
            }
            boolean whole;
            if (chunked) { // JSON bodies hold no raw CR LF, so the last chunk's marker cannot appear earlier
                whole = length >= headerEnd + 5 && b[length - 5] == '0' && b[length - 4] == '\r'
                        && b[length - 3] == '\n' && b[length - 2] == '\r' && b[length - 1] == '\n';
            }
            else {
                whole = length >= headerEnd + Math.max(0, contentLength);
            }
            if (!whole) {
                return 0;
            }
            return (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
        }

        static boolean startsWithIgnoreCase(byte[] b, int from, int to, String prefix) {
            if (to - from < prefix.length()) {
                return false;
            }
            for (int i = 0; i < prefix.length(); i++) {
                if (Character.toLowerCase(b[from + i]) != prefix.charAt(i)) {
                    return false;
                }
            }
            return true;
        }
        // ---- the main thread: report -------------------------------------------------------------------------

        boolean report() throws Exception {
            Histogram latency = new Histogram(3), uncorrected = new Histogram(3), lag = new Histogram(3);
            long sent = 0, completed = 0, s200 = 0, s404 = 0, other = 0, errors = 0, puts = 0, putsFailed = 0;
            long gets = 0, hits = 0, backlogMax = 0, clientCpu = 0, serverTicks = 0, measuredNanos = 0;
            int pauses = 0, fulls = 0;
            double pauseSum = 0, pauseMax = 0;
            GcLog gc = c.gcLog != null ? new GcLog(c.gcLog) : null;
            PrintWriter tsv = c.tsv != null ? new PrintWriter(Files.newBufferedWriter(Path.of(c.tsv))) : null;
            if (tsv != null) {
                tsv.println("label\twindow\twarmup\tstart_s\tend_s\twall_start_ms\twall_end_ms\tsent\tcompleted"
                        + "\tp50_ms\tp90_ms\tp99_ms\tp999_ms\tmax_ms\tuncorrected_p99_ms\tstatus_200\tstatus_404"
                        + "\tstatus_other\terrors\tputs\tputs_failed\tgets\thits\tlag_p99_ms\tlag_max_ms"
                        + "\tbacklog_max\tclient_cpu_pct\tserver_cpu_pct\tgc_pauses\tgc_sum_ms\tgc_max_ms");
            }
            System.out.println("  time (s)     sent     done |    p50    p90    p99  p99.9     max ms |  uncorr p99"
                    + " |     200    404 other  err | lag p99/max ms | queue | cpu client server % | gc n  sum"
                    + "   max ms");
            long[] tail;
            while (true) {
                Object item = windows.take();
                if (item instanceof Throwable) {
                    System.err.println("OpenLoad: the I/O thread failed");
                    return false;
                }
                if (item instanceof long[] end) {
                    tail = end;
                    break;
                }
                Window w = (Window) item;
                double from = (w.start - start) / 1e9, to = (w.end - start) / 1e9, seconds = to - from;
                long wallFrom = wallStart + (w.start - start) / 1_000_000, wallTo = wallStart + (w.end - start) / 1_000_000;
                List<Pause> in = gc != null ? gc.pausesUntil(wallFrom, wallTo) : List.of();
                double sum = in.stream().mapToDouble(Pause::millis).sum();
                double max = in.stream().mapToDouble(Pause::millis).max().orElse(0);
                double clientPct = w.clientCpuNanos / 1e7 / seconds;
                double serverPct = w.serverCpuTicks * 100.0 / c.clkTck / seconds;
                String when = w.warmup ? String.format(Locale.ROOT, "%4.0f-%-4.0f W", from, to)
                        : String.format(Locale.ROOT, "%4.0f-%-4.0f  ", from, to);
                System.out.printf(Locale.ROOT, "%s %8d %8d | %s | %11s | %7d %6d %5d %4d | %6s/%-7s | %5d | %6.0f %6.0f"
                        + "      | %4d %4s %6s%n", when, w.sent, w.completed, percentiles(w.latency),
                        ms(w.uncorrected.getValueAtPercentile(99)), w.status200, w.status404, w.statusOther,
                        w.errors, ms(w.lag.getValueAtPercentile(99)), ms(w.lag.getMaxValue()), w.backlogMax,
                        clientPct, serverPct, in.size(), String.format(Locale.ROOT, "%.0f", sum),
                        String.format(Locale.ROOT, "%.1f", max));
                if (tsv != null) {
                    tsv.printf(Locale.ROOT, "%s\t%d\t%b\t%.3f\t%.3f\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d"
                            + "\t%d\t%d\t%d\t%d\t%s\t%s\t%d\t%.1f\t%.1f\t%d\t%.1f\t%.1f%n", c.label, w.index, w.warmup,
                            from, to, wallFrom, wallTo, w.sent, w.completed, ms(w.latency.getValueAtPercentile(50)),
                            ms(w.latency.getValueAtPercentile(90)), ms(w.latency.getValueAtPercentile(99)),
                            ms(w.latency.getValueAtPercentile(99.9)), ms(w.latency.getMaxValue()),
                            ms(w.uncorrected.getValueAtPercentile(99)), w.status200, w.status404, w.statusOther,
                            w.errors, w.puts, w.putsFailed, w.gets, w.hits, ms(w.lag.getValueAtPercentile(99)),
                            ms(w.lag.getMaxValue()), w.backlogMax, clientPct, serverPct, in.size(), sum, max);
                    tsv.flush();
                }
                if (w.warmup) {
                    continue;
                }
                latency.add(w.latency);
                uncorrected.add(w.uncorrected);
                lag.add(w.lag);
                sent += w.sent;
                completed += w.completed;
                s200 += w.status200;
                s404 += w.status404;
                other += w.statusOther;
                errors += w.errors;
                puts += w.puts;
                putsFailed += w.putsFailed;
                gets += w.gets;
                hits += w.hits;
                backlogMax = Math.max(backlogMax, w.backlogMax);
                clientCpu += w.clientCpuNanos;
                serverTicks += w.serverCpuTicks;
                measuredNanos += w.end - w.start;
                pauses += in.size();
                fulls += (int) in.stream().filter(p -> p.kind().contains("Full")).count();
                pauseSum += sum;
                pauseMax = Math.max(pauseMax, max);
            }
            if (tsv != null) {
                tsv.close();
            }
            long unfinished = tail[0];
            double seconds = measuredNanos / 1e9;
            double clientPct = clientCpu / 1e7 / seconds;
            double serverPct = serverTicks * 100.0 / c.clkTck / seconds;
            String summary = String.format(Locale.ROOT, "SUMMARY %s%soffered_rate=%.0f achieved_rate=%.0f"
                    + " seconds=%.1f sent=%d completed=%d p50_ms=%s p90_ms=%s p99_ms=%s p999_ms=%s max_ms=%s"
                    + " uncorrected_p50_ms=%s uncorrected_p99_ms=%s puts=%d puts_failed=%d gets=%d hits=%d"
                    + " status_200=%d status_404=%d status_other=%d errors=%d unfinished=%d reconnects=%d"
                    + " lag_p50_ms=%s lag_p99_ms=%s lag_max_ms=%s backlog_max=%d client_cpu_pct=%.1f"
                    + " client_us_per_request=%.1f server_cpu_pct=%.1f server_us_per_request=%.1f gc_pauses=%d"
                    + " gc_full=%d gc_sum_ms=%.1f gc_max_ms=%.1f gc_share_pct=%.2f",
                    c.label, c.label.isEmpty() ? "" : " ", c.rate, completed / seconds, seconds, sent, completed,
                    ms(latency.getValueAtPercentile(50)), ms(latency.getValueAtPercentile(90)),
                    ms(latency.getValueAtPercentile(99)), ms(latency.getValueAtPercentile(99.9)),
                    ms(latency.getMaxValue()), ms(uncorrected.getValueAtPercentile(50)),
                    ms(uncorrected.getValueAtPercentile(99)), puts, putsFailed, gets, hits, s200, s404, other, errors,
                    unfinished, tail[1], ms(lag.getValueAtPercentile(50)), ms(lag.getValueAtPercentile(99)),
                    ms(lag.getMaxValue()), backlogMax, clientPct, completed > 0 ? clientCpu / 1e3 / completed : 0,
                    serverPct, completed > 0 ? serverTicks * 1e6 / c.clkTck / completed : 0, pauses, fulls,
                    pauseSum, pauseMax, pauseSum / 10 / seconds);
            System.out.println(summary);
            boolean valid = true;
            if (errors > 0 || putsFailed > 0 || other > 0 || unfinished > 0) {
                System.out.printf("WARNING: %d errors, %d failed puts, %d unexpected statuses, %d requests unfinished"
                        + " at the end%n", errors, putsFailed, other, unfinished);
                valid = false;
            }
            if (open && lag.getValueAtPercentile(99) > 1000) {
                System.out.printf("WARNING: the client's own lag (p99 %s ms) fell behind its schedule: the latencies"
                        + " include its delay%n", ms(lag.getValueAtPercentile(99)));
            }
            return valid;
        }

        static String percentiles(Histogram h) {
            return String.format(Locale.ROOT, "%6s %6s %6s %6s %7s ms", ms(h.getValueAtPercentile(50)),
                    ms(h.getValueAtPercentile(90)), ms(h.getValueAtPercentile(99)), ms(h.getValueAtPercentile(99.9)),
                    ms(h.getMaxValue())).replace(" ms", "");
        }

        static String ms(long micros) {
            return String.format(Locale.ROOT, micros < 10_000 ? "%.2f" : "%.1f", micros / 1000.0);
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * GC pauses read from a JVM unified log as it grows. Lines need the {@code timemillis} decoration (the wall
     * clock of the line, written when the pause ends; the only decoration of 12 digits or more); a pause line is a {@code gc} or {@code gc,phases} line
     * naming a "Pause" and ending in its duration, which covers G1, Parallel, Serial and ZGC's pauses.
     */
    static final class GcLog {

        static final Pattern PAUSE = Pattern.compile(
                "\\[(\\d{12,})ms\\].*\\[gc(?:,phases)?\\s*\\] GC\\(\\d+\\) (?:[yo]: )?(Pause .*?)\\s+(?:\\S+->\\S+\\s+)?"
                        + "(\\d+(?:\\.\\d+)?)ms$");

        final String path;
        long offset;
        final List<Pause> pending = new ArrayList<>();

        GcLog(String path) {
            this.path = path;
        }

        /** The pauses that ended in [from, to); those before from are dropped. */
        List<Pause> pausesUntil(long from, long to) throws IOException {
            readNewLines();
            List<Pause> in = new ArrayList<>();
            pending.removeIf(p -> {
                if (p.endMillis() < from) {
                    return true;
                }
                if (p.endMillis() < to) {
                    in.add(p);
                    return true;
                }
                return false;
            });
            return in;
        }

        void readNewLines() throws IOException {
            if (!Files.exists(Path.of(path))) {
                return;
            }
            try (RandomAccessFile file = new RandomAccessFile(path, "r")) {
                if (file.length() < offset) { // a new file under the same name
                    offset = 0;
                }
                file.seek(offset);
                byte[] bytes = new byte[(int) (file.length() - offset)];
                file.readFully(bytes);
                int last = -1;
                for (int i = bytes.length - 1; i >= 0; i--) {
                    if (bytes[i] == '\n') {
                        last = i;
                        break;
                    }
                }
                if (last < 0) {
                    return;
                }
                offset += last + 1; // a line still being written is read next time
                for (String line : new String(bytes, 0, last, StandardCharsets.UTF_8).split("\n")) {
                    Matcher m = PAUSE.matcher(line);
                    if (m.find()) {
                        pending.add(new Pause(Long.parseLong(m.group(1)), Double.parseDouble(m.group(3)),
                                m.group(2).trim()));
                    }
                }
            }
        }
    }
}
