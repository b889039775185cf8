package dev.kvcache.local;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Replays recorded traces of real caches' keys against the same caches as {@link EvictionSimulator} (the store,
 * Caffeine alone, LRU and FIFO), each from empty at the same budget: every request of
 * a trace is a get and, on a miss, a put (cache-aside), of equal-size entries (36-character keys made of the
 * trace's key, 256-character values). Prints one markdown row per trace and capacity, with the store's whole-run
 * hit ratio against the best of Caffeine alone, LRU and FIFO.
 *
 * <p>The traces are not part of the project: they are read from a directory (by default {@code ../shared/traces},
 * beside the repository) where each file's name starts with its format, then a dash:
 * <table>
 * <caption>Formats</caption>
 * <tr><th>prefix</th><th>format</th><th>source</th></tr>
 * <tr><td>{@code cache2k-}</td><td>binary, one big-endian 32-bit key a request</td><td>cache2k's benchmark traces
 *     (web07, web12, orm-busy, orm-night)</td></tr>
 * <tr><td>{@code corda-}, {@code scarab-}</td><td>binary, one big-endian 64-bit key a request</td><td>R3 Corda's
 *     vault service, Scarab Research's recommendations</td></tr>
 * <tr><td>{@code lirs-}</td><td>text, one decimal key a line; lines "*" and blank lines are skipped</td><td>the
 *     LIRS paper's traces (loop, multi1-3, sprite, 2_pools...)</td></tr>
 * </table>
 * A name ending in {@code .gz} is gunzipped, one ending in {@code .xz} is read through the {@code xz} tool. Other
 * files, and those ending in {@code .txt} (licences), are skipped. (These are the formats of the traces that
 * Caffeine's simulator ships.)
 *
 * <p>Capacities, in entries, are given on the command line (an integer: that many entries; a fraction below 1:
 * that share of each trace's distinct keys) or, by default, chosen relative to each trace's distinct keys: 5%, 10%
 * and 25% of them, or for traces of fewer than 10,000 distinct keys 25%, 50% and 75%. A capacity too small for the
 * store (fewer than its minimum of segments) is skipped.
 *
 * <pre>bench/traces.sh [--traces DIR] [--only NAME,...] [capacities...]</pre>
 */
public final class TraceReplay {

    static final Path DEFAULT_TRACES = Path.of("..", "shared", "traces");
    private static final double[] FRACTIONS = {0.05, 0.10, 0.25};
    private static final double[] SMALL_FRACTIONS = {0.25, 0.50, 0.75};
    private static final int SMALL_TRACE = 10_000;

    /** How a trace file encodes its keys. */
    enum Format {
        CACHE2K("cache2k-"), CORDA("corda-"), SCARAB("scarab-"), LIRS("lirs-");

        final String prefix;

        Format(String prefix) {
            this.prefix = prefix;
        }

        static Format of(String fileName) {
            for (Format format : values()) {
                if (fileName.startsWith(format.prefix) && !fileName.endsWith(".txt")) {
                    return format;
                }
            }
            return null;
        }

        long[] read(InputStream input) throws IOException {
            var keys = new Keys();
            if (this == LIRS) {
                var reader = new BufferedReader(new InputStreamReader(input, StandardCharsets.ISO_8859_1));
                for (String line; (line = reader.readLine()) != null; ) {
                    line = line.trim();
                    if (!line.isEmpty() && !line.equals("*")) {
                        keys.add(Long.parseLong(line));
                    }
                }
                return keys.toArray();
            }
            var data = new DataInputStream(input);
            try {
                while (true) {
                    keys.add(this == CACHE2K ? data.readInt() : data.readLong());
                }
            }
            catch (EOFException end) {
                return keys.toArray(); // a partial record at the end is dropped
            }
        }
    }

    /** A trace read whole: its keys in request order and how many are distinct. */
    record Trace(String name, long[] keys, int distinct) {

        static Trace read(Path file, Format format) throws IOException {
            long[] keys;
            try (InputStream input = open(file)) {
                keys = format.read(input);
            }
            long[] sorted = keys.clone();
            Arrays.sort(sorted);
            int distinct = 0;
            for (int i = 0; i < sorted.length; i++) {
                if (i == 0 || sorted[i] != sorted[i - 1]) {
                    distinct++;
                }
            }
            String name = file.getFileName().toString().replaceFirst("(\\.trace)?(\\.gz|\\.xz)?$", "");
            return new Trace(name, keys, distinct);
        }

        /** Hit ratio of a cache of this capacity replaying the trace cache-aside. */
        double hitRatio(SimulatedCache cache) {
            long hits = 0;
            for (long key : keys) {
                String text = Workload.key("t", key);
                if (cache.get(text)) {
                    hits++;
                }
                else {
                    cache.put(text);
                }
            }
            return keys.length == 0 ? 0 : (double) hits / keys.length;
        }
    }

    /** The hit ratios of one trace at one capacity, in the order of the columns. */
    record Row(Trace trace, int capacity, double service, double youngShare, double caffeine, double lru,
            double fifo) {

        double ratio() {
            double best = Math.max(caffeine, Math.max(lru, fifo));
            return best == 0 ? 1 : service / best;
        }
    }

    public static void main(String[] args) throws IOException {
        Path directory = DEFAULT_TRACES;
        List<String> only = List.of();
        List<String> capacities = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--traces" -> directory = Path.of(args[++i]);
                case "--only" -> only = List.of(args[++i].split(","));
                default -> capacities.add(args[i]);
            }
        }
        List<Path> files;
        try (Stream<Path> listing = Files.list(directory)) {
            files = listing.filter(file -> Format.of(file.getFileName().toString()) != null).sorted().toList();
        }
        System.out.printf(Locale.ROOT, "traces in %s; entries of %d/%d characters; cache-aside, from empty; "
                + "whole-run hit ratio%n%n", directory, Workload.KEY_LENGTH, EvictionSimulator.VALUE_LENGTH);
        System.out.println("| trace | distinct keys | requests | capacity | kv-cache | Caffeine alone | LRU | FIFO "
                + "| kv-cache / best | young share at the end |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (Path file : files) {
            String fileName = file.getFileName().toString();
            if (!only.isEmpty() && only.stream().noneMatch(fileName::contains)) {
                continue;
            }
            Trace trace = Trace.read(file, Format.of(fileName));
            for (int capacity : capacities(trace, capacities)) {
                Row row = replay(trace, capacity);
                if (row == null) {
                    System.out.printf(Locale.ROOT, "| %s | %,d | %,d | %,d | too small for the store | | | | | |%n",
                            trace.name(), trace.distinct(), trace.keys().length, capacity);
                    continue;
                }
                System.out.printf(Locale.ROOT, "| %s | %,d | %,d | %,d | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.2f | "
                                + "%.0f%% |%n", trace.name(), trace.distinct(), trace.keys().length, capacity,
                        100 * row.service(), 100 * row.caffeine(), 100 * row.lru(), 100 * row.fifo(), row.ratio(),
                        100 * row.youngShare());
            }
        }
    }

    static int[] capacities(Trace trace, List<String> given) {
        if (given.isEmpty()) {
            double[] fractions = trace.distinct() < SMALL_TRACE ? SMALL_FRACTIONS : FRACTIONS;
            return Arrays.stream(fractions).mapToInt(f -> (int) Math.round(f * trace.distinct())).toArray();
        }
        return given.stream().mapToInt(text -> text.contains(".")
                ? (int) Math.round(Double.parseDouble(text) * trace.distinct()) : Integer.parseInt(text)).toArray();
    }

    /** The five caches' hit ratios at this capacity; null if the store cannot be built that small. */
    static Row replay(Trace trace, int capacity) {
        SegmentStore store;
        try {
            store = EvictionSimulator.segmentStore(capacity);
        }
        catch (IllegalArgumentException tooSmall) {
            return null;
        }
        double service = trace.hitRatio(EvictionSimulator.served(store));
        return new Row(trace, capacity, service, store.youngShare(),
                replay(trace, capacity, EvictionSimulator::caffeineAlone), replay(trace, capacity, SimulatedCache::lru),
                replay(trace, capacity, SimulatedCache::fifo));
    }

    private static double replay(Trace trace, int capacity, IntFunction<SimulatedCache> cache) {
        return trace.hitRatio(cache.apply(capacity));
    }

    /** The file's bytes, decompressed as its name says. */
    private static InputStream open(Path file) throws IOException {
        String name = file.getFileName().toString();
        if (name.endsWith(".xz")) {
            Process xz = new ProcessBuilder("xz", "-dc", file.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            xz.getOutputStream().close();
            return new BufferedInputStream(xz.getInputStream(), 1 << 16) {
                @Override
                public void close() throws IOException {
                    super.close();
                    try {
                        if (xz.waitFor() != 0) {
                            throw new IOException("xz -dc " + file + " exited with " + xz.exitValue());
                        }
                    }
                    catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                        throw new IOException(ex);
                    }
                }
            };
        }
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        return name.endsWith(".gz") ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
    }

    /** A growing array of keys. */
    private static final class Keys {

        private long[] keys = new long[1 << 16];
        private int size;

        void add(long key) {
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, size * 2);
            }
            keys[size++] = key;
        }

        long[] toArray() {
            return Arrays.copyOf(keys, size);
        }
    }

    private TraceReplay() {
    }
}
