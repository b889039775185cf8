package dev.kvcache.local;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import com.github.benmanes.caffeine.cache.Scheduler;
import dev.kvcache.cache.CacheProperties;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.kvcache.cache.CacheService;
import dev.kvcache.cache.MemoryBudget;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import org.springframework.util.unit.DataSize;

/**
 * The store alone, as the service builds it: 10,000 UUID keys with 256-character values, random gets and
 * overwriting puts, in a budget that holds them all (256 MB) and in one that holds a third of them (2 MB: every
 * put's segment comes from a drain). Run with bench/jmh.sh at 1 and 2 threads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = { "-Xmx1g" })
public class CacheServiceBenchmark {

    private static final int KEYS = 10_000;

    @Param({ "256", "2" })
    public int budgetMegabytes;

    private final String[] keys = new String[KEYS];
    private final String[] values = new String[100];
    private ScheduledExecutorService maintenance;
    private CacheService cache;

    @Setup
    public void fill() {
        var settings = new CacheProperties(CacheProperties.Mode.LOCAL, DataSize.ofMegabytes(budgetMegabytes),
                Duration.ofMinutes(5), Duration.ofDays(1), Duration.ofMinutes(1), 256, 256);
        maintenance = Executors.newSingleThreadScheduledExecutor();
        cache = new CacheService(settings, new SegmentStore(MemoryBudget.unbounded(settings.maxMemory().toBytes()),
                256, 256, Ticker.systemTicker(), Runnable::run, Scheduler.forScheduledExecutorService(maintenance),
                42));
        var random = new SplittableRandom(42);
        for (int v = 0; v < values.length; v++) {
            StringBuilder value = new StringBuilder(256);
            for (int i = 0; i < 256; i++) {
                value.append((char) random.nextInt(32, 127));
            }
            values[v] = value.toString();
        }
        for (int k = 0; k < KEYS; k++) {
            keys[k] = UUID.randomUUID().toString();
            cache.put(keys[k], values[k % values.length]);
        }
    }

    @TearDown
    public void stop() {
        maintenance.shutdownNow();
    }

    @Benchmark
    public Object get() {
        return cache.get(keys[ThreadLocalRandom.current().nextInt(KEYS)]);
    }

    /** Half gets, half overwriting puts, as bench/bench.sh's mixed workload. */
    @Benchmark
    public Object mixed() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        if (random.nextBoolean()) {
            return cache.get(keys[random.nextInt(KEYS)]);
        }
        cache.put(keys[random.nextInt(KEYS)], values[random.nextInt(values.length)]);
        return null;
    }

    @Benchmark
    public void put() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        cache.put(keys[random.nextInt(KEYS)], values[random.nextInt(values.length)]);
    }
}
