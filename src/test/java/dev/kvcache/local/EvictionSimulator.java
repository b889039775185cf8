package dev.kvcache.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.function.ToDoubleFunction;

import dev.kvcache.cache.CacheService;
import dev.kvcache.cache.EntryStore;
import dev.kvcache.local.Workload.HitRatios;

/**
 * Prints the hit ratio of every {@link Workload} for the service's store next to Caffeine alone, LRU and FIFO,
 * each run from an empty cache of the same capacity: over the whole run (the eviction goal's measure: from empty,
 * within 10x the capacity in traffic) and over its second half (warm). The store is the real one
 * ({@link SegmentStore} under {@link CacheService}, as the application builds it, maintenance on the calling
 * thread, a clock that stands still), with a budget of {@code capacity} entries of 36/256 characters as the store
 * counts them (their bytes in a segment and an index slot's share); so whatever the store keeps besides its
 * entries costs it capacity, as in production.
 *
 * <pre>bench/eviction.sh [capacity] [seed]</pre>
 */
public final class EvictionSimulator {

    static final int VALUE_LENGTH = 256;

    /** One workload's hit ratios for each cache, and the budget's share the store's young segments ended with. */
    record Row(Workload workload, HitRatios service, double youngShare, HitRatios caffeine, HitRatios lru,
            HitRatios fifo) {

        /** The service against the best of the three references, by the given measure. */
        double ratio(ToDoubleFunction<HitRatios> measure) {
            double best = Math.max(measure.applyAsDouble(caffeine),
                    Math.max(measure.applyAsDouble(lru), measure.applyAsDouble(fifo)));
            return best == 0 ? 1 : measure.applyAsDouble(service) / best;
        }
    }

    public static void main(String[] args) {
        int capacity = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
        System.out.printf(Locale.ROOT, "capacity %,d entries of %d/%d characters, %,d requests per workload, "
                        + "seed %d, Caffeine %s%n", capacity, Workload.KEY_LENGTH, VALUE_LENGTH,
                Workload.REQUESTS_PER_ENTRY * capacity, seed, caffeineVersion());
        List<Row> rows = runAll(capacity, seed);
        print("Hit ratio over the whole run, from empty", rows, HitRatios::whole, true);
        print("Hit ratio over the second half of the run (warm)", rows, HitRatios::warm, false);
    }

    private static void print(String title, List<Row> rows, ToDoubleFunction<HitRatios> measure, boolean share) {
        System.out.printf("%n%s:%n%n", title);
        System.out.println("| workload | kv-cache | Caffeine alone | LRU | FIFO | kv-cache / best |"
                + (share ? " young share at the end |" : ""));
        System.out.println("|---|---|---|---|---|---|" + (share ? "---|" : ""));
        for (Row row : rows) {
            System.out.printf(Locale.ROOT, "| %s | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.2f |%s%n",
                    row.workload().description, 100 * measure.applyAsDouble(row.service()),
                    100 * measure.applyAsDouble(row.caffeine()), 100 * measure.applyAsDouble(row.lru()),
                    100 * measure.applyAsDouble(row.fifo()), row.ratio(measure),
                    share ? String.format(Locale.ROOT, " %.0f%% |", 100 * row.youngShare()) : "");
        }
    }

    static List<Row> runAll(int capacity, long seed) {
        List<Row> rows = new ArrayList<>();
        for (Workload workload : Workload.values()) {
            rows.add(run(workload, capacity, seed));
        }
        return rows;
    }

    static Row run(Workload workload, int capacity, long seed) {
        SegmentStore store = segmentStore(capacity);
        return new Row(workload, workload.hitRatios(served(store), capacity, seed), store.youngShare(),
                run(workload, capacity, seed, EvictionSimulator::caffeineAlone),
                run(workload, capacity, seed, SimulatedCache::lru),
                run(workload, capacity, seed, SimulatedCache::fifo));
    }

    /** A store under the service, as the application serves it, with values of the simulations' length. */
    static SimulatedCache served(EntryStore store) {
        return SimulatedCache.service(new CacheService(LocalCaches.settings(store.budgetBytes(),
                Duration.ofMinutes(5)), store), "v".repeat(VALUE_LENGTH));
    }

    /** Caffeine alone, bounded by {@code capacity} entries of the simulations' shape as the store weighs them. */
    static SimulatedCache caffeineAlone(int capacity) {
        return SimulatedCache.caffeineAlone(capacity, entryWeight());
    }

    private static HitRatios run(Workload workload, int capacity, long seed, IntFunction<SimulatedCache> cache) {
        return workload.hitRatios(cache.apply(capacity), capacity, seed);
    }

    /** Bytes of one entry of the simulations' shape, as the store counts them. */
    static int entryWeight() {
        return (int) LocalCaches.entryCost(Workload.KEY_LENGTH, VALUE_LENGTH);
    }

    /** The store with a budget of {@code capacity} entries of the simulations' shape, on a clock that stands. */
    static SegmentStore segmentStore(int capacity) {
        var clock = new AtomicLong();
        return LocalCaches.store((long) capacity * entryWeight(), clock::get);
    }

    private static String caffeineVersion() {
        String version = com.github.benmanes.caffeine.cache.Caffeine.class.getPackage().getImplementationVersion();
        return version != null ? version : "(version unknown)";
    }
}
