package dev.kvcache.local;

import java.util.SplittableRandom;

/**
 * Request streams for eviction simulations, each run from an empty cache of {@code capacity} equal entries for
 * {@code 10 × capacity} requests (gets and puts). A workload drives any {@link SimulatedCache} and counts the
 * hits of its gets. The first seven are the classic key-value cache workloads; the last two are there so that
 * no policy is judged on workloads that suit it only.
 */
enum Workload {

    ZIPF_09("Zipf 0.9 cache-aside (get; on a miss, put), key space 20x capacity") {
        @Override
        void run(SimulatedCache cache, int capacity, SplittableRandom random, Counter counter) {
            zipfCacheAside(cache, capacity, random, counter, 0.9, false);
        }
    },
    ZIPF_11("Zipf 1.1 cache-aside") {
        @Override
        void run(SimulatedCache cache, int capacity, SplittableRandom random, Counter counter) {
            zipfCacheAside(cache, capacity, random, counter, 1.1, false);
        }
    },
    RECENT_20("key-value use: every put followed by 3 reads of keys written within the last 20% of capacity") {
        @Override
        void run(SimulatedCache cache, int capacity, SplittableRandom random, Counter counter) {
            putThenReadRecent(cache, capacity, random, counter, 0.2, 3);
        }
    },
    RECENT_50("the same within the last 50% of capacity") {
        @Override
        void run(SimulatedCache cache, int capacity, SplittableRandom random, Counter counter) {
            putThenReadRecent(cache, capacity, random, counter, 0.5, 3);
        }
    },
    RECENT_90("1 read per put within the last 90% of capacity") {
        @Override
        void run(SimulatedCache cache, int capacity, SplittableRandom random, Counter counter) {
            putThenReadRecent(cache, capacity, random, counter, 0.9, 1);
        }
    },
    WRITE_ONLY_THEN_NEWEST("10x capacity written, never read, then the newest 1% of capacity read") {
        @Override
        void run(SimulatedCache cache, int capacity, SplittableRandom random, Counter counter) {
            int written = (int) (REQUESTS_PER_ENTRY * capacity);
            for (int i = 0; i < written; i++) {
                counter.put(cache, key("w", i));
            }
            for (int i = written - capacity / 100; i < written; i++) {
                counter.get(cache, key("w", i));
            }
        }
    },
    HOT_SET_UNDER_SCAN("a hot set of 50% of capacity read constantly (cache-aside) while a scan writes unique keys") {
        @Override
        void run(SimulatedCache cache, int capacity, SplittableRandom random, Counter counter) {
            int hot = capacity / 2;
            for (long scan = 0; counter.requests < REQUESTS_PER_ENTRY * capacity; scan++) {
                counter.cacheAside(cache, key("h", random.nextInt(hot)));
                counter.put(cache, key("s", scan));
            }
        }
    },
    LOOP("added: a loop over 1.5x capacity, cache-aside (recency's worst case)") {
        @Override
        void run(SimulatedCache cache, int capacity, SplittableRandom random, Counter counter) {
            int keys = capacity * 3 / 2;
            for (long i = 0; counter.requests < REQUESTS_PER_ENTRY * capacity; i++) {
                counter.cacheAside(cache, key("l", i % keys));
            }
        }
    },
    ZIPF_09_SHIFTING("added: Zipf 0.9 cache-aside whose popular keys change every 2x capacity requests") {
        @Override
        void run(SimulatedCache cache, int capacity, SplittableRandom random, Counter counter) {
            zipfCacheAside(cache, capacity, random, counter, 0.9, true);
        }
    };

    final String description;

    /** Hit ratios of one run: over all of it, from empty, and over its second half, warm. */
    record HitRatios(double whole, double warm) {
    }

    Workload(String description) {
        this.description = description;
    }

    abstract void run(SimulatedCache cache, int capacity, SplittableRandom random, Counter counter);

    /** Runs the workload from an empty cache; returns the hit ratios of its gets. */
    HitRatios hitRatios(SimulatedCache cache, int capacity, long seed) {
        var counter = new Counter(REQUESTS_PER_ENTRY * capacity);
        run(cache, capacity, new SplittableRandom(seed), counter);
        return new HitRatios(counter.hitRatio(), counter.warmHitRatio());
    }

    /** Keys of one length (36 characters, a UUID's), so that all entries weigh the same. */
    static String key(String prefix, long i) {
        String number = Long.toString(i);
        return prefix + "0".repeat(KEY_LENGTH - prefix.length() - number.length()) + number;
    }

    static final int KEY_LENGTH = 36;

    /** Length of a run, in requests per entry of capacity: 10 unless -Deviction.requests says otherwise. */
    static final long REQUESTS_PER_ENTRY = Long.getLong("eviction.requests", 10);

    private static void zipfCacheAside(SimulatedCache cache, int capacity, SplittableRandom random, Counter counter,
            double exponent, boolean shifting) {
        int keys = 20 * capacity;
        double[] cumulative = zipfCumulative(keys, exponent);
        while (counter.requests < REQUESTS_PER_ENTRY * capacity) {
            int rank = rank(cumulative, random.nextDouble());
            // Shifting: every 2x capacity requests the ranks move onto other keys, so yesterday's hot keys go cold.
            long shift = shifting ? (counter.requests / (2L * capacity)) * (keys / 7) : 0;
            counter.cacheAside(cache, key("z", (rank + shift) % keys));
        }
    }

    private static void putThenReadRecent(SimulatedCache cache, int capacity, SplittableRandom random,
            Counter counter, double span, int reads) {
        int window = (int) (span * capacity);
        for (long written = 0; counter.requests < REQUESTS_PER_ENTRY * capacity; ) {
            counter.put(cache, key("r", written++));
            for (int r = 0; r < reads; r++) {
                long back = random.nextLong(Math.min(window, written));
                counter.get(cache, key("r", written - 1 - back));
            }
        }
    }

    private static double[] zipfCumulative(int keys, double exponent) {
        double[] cumulative = new double[keys];
        double sum = 0;
        for (int i = 0; i < keys; i++) {
            sum += 1 / Math.pow(i + 1, exponent);
            cumulative[i] = sum;
        }
        for (int i = 0; i < keys; i++) {
            cumulative[i] /= sum;
        }
        return cumulative;
    }

    private static int rank(double[] cumulative, double u) {
        int low = 0, high = cumulative.length - 1;
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (cumulative[mid] < u) {
                low = mid + 1;
            }
            else {
                high = mid;
            }
        }
        return low;
    }

    /** Counts requests, gets and hits. */
    static final class Counter {

        private final long halfway;
        long requests;
        long gets;
        long hits;
        long warmGets;
        long warmHits;

        Counter(long requests) {
            this.halfway = requests / 2;
        }

        void get(SimulatedCache cache, String key) {
            requests++;
            count(cache.get(key));
        }

        void put(SimulatedCache cache, String key) {
            requests++;
            cache.put(key);
        }

        /** A get, and on a miss the put that an application reading through the cache would make. */
        void cacheAside(SimulatedCache cache, String key) {
            requests++;
            boolean hit = cache.get(key);
            count(hit);
            if (!hit) {
                cache.put(key);
            }
        }

        private void count(boolean hit) {
            boolean warm = requests > halfway;
            gets++;
            warmGets += warm ? 1 : 0;
            if (hit) {
                hits++;
                warmHits += warm ? 1 : 0;
            }
        }

        double hitRatio() {
            return gets == 0 ? 0 : (double) hits / gets;
        }

        /** The hit ratio over the second half of the run, when the cache is warm. */
        double warmHitRatio() {
            return warmGets == 0 ? 0 : (double) warmHits / warmGets;
        }
    }
}
