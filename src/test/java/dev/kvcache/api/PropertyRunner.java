package dev.kvcache.api;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;

import dev.kvcache.api.ApiGenerators.Entry;
import dev.kvcache.api.ApiGenerators.HeaderCase;
import dev.kvcache.api.ApiGenerators.Query;
import dev.kvcache.api.ApiGenerators.Shape;

/**
 * The runner of the properties of {@link ApiPropertyTests}: a property checked on a number of samples drawn from
 * one seed, and a failing sample shrunk to the smallest that still fails before it is reported.
 *
 * <p>{@code -Dkvcache.pbt.seed=<seed>} replays a run and {@code -Dkvcache.pbt.tries=<n>} changes the number of
 * tries of every property.
 */
final class PropertyRunner {

    private PropertyRunner() {
    }

    @FunctionalInterface
    interface Check<T> {

        /** Throws if the property does not hold for the sample; else says which kind of sample it was. */
        String check(T sample);
    }

    /**
     * Checks the property on {@code tries} generated samples. On a failure, shrinks the sample (as long as a
     * smaller one still fails, within a budget) and fails with the seed, the smallest failing sample and its
     * failure. Returns how many samples of each kind were checked.
     */
    static <T> Map<String, Integer> forAll(String name, int tries, Function<SplittableRandom, T> generator,
            Function<T, List<T>> shrinker, Check<T> property) {
        long seed = Long.getLong("kvcache.pbt.seed", new SplittableRandom().nextLong());
        int count = Integer.getInteger("kvcache.pbt.tries", tries);
        SplittableRandom root = new SplittableRandom(seed);
        Map<String, Integer> labels = new TreeMap<>();
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            T sample = generator.apply(root.split());
            Throwable failure = failure(property, sample, labels);
            if (failure != null) {
                T smallest = sample;
                int budget = 300;
                for (boolean progress = true; progress && budget > 0;) {
                    progress = false;
                    for (T candidate : shrinker.apply(smallest)) {
                        if (--budget < 0) {
                            break;
                        }
                        Throwable smaller = failure(property, candidate, null);
                        if (smaller != null) {
                            smallest = candidate;
                            failure = smaller;
                            progress = true;
                            break;
                        }
                    }
                }
                throw new AssertionError(String.format("Property %s failed on try %d of %d (seed %d; replay with "
                        + "-Dkvcache.pbt.seed=%d).%nSmallest failing sample found: %s%nFailure: %s", name, i + 1,
                        count, seed, seed, describe(smallest), failure.getMessage()), failure);
            }
        }
        System.out.printf("Property %s: %d tries in %d ms, seed %d, %s%n", name, count,
                (System.nanoTime() - start) / 1_000_000, seed, labels);
        return labels;
    }

    private static <T> Throwable failure(Check<T> property, T sample, Map<String, Integer> labels) {
        try {
            String label = property.check(sample);
            if (labels != null) {
                labels.merge(label, 1, Integer::sum);
            }
            return null;
        }
        catch (AssertionError | RuntimeException ex) {
            return ex;
        }
    }

    /** The sample readably: bytes and strings with what is not printable ASCII escaped, cut short if long. */
    private static String describe(Object sample) {
        String text;
        if (sample instanceof byte[] bytes) {
            text = "bytes " + escape(new String(bytes, StandardCharsets.ISO_8859_1)) + " (" + bytes.length + ")";
        }
        else if (sample instanceof Shape shape) {
            text = "body " + escape(new String(shape.body(), StandardCharsets.ISO_8859_1)) + " ("
                    + shape.body().length + " bytes)";
        }
        else if (sample instanceof Entry entry) {
            text = "key " + escape(entry.key()) + ", value " + escape(entry.value()) + ", spelling "
                    + entry.spelling() + ", ttl " + (entry.invalidTtl() != null ? escape(entry.invalidTtl())
                            : entry.ttl());
        }
        else if (sample instanceof Query query) {
            text = "query " + escape(query.query()) + ", value stored first " + escape(query.valueToStore());
        }
        else if (sample instanceof HeaderCase request) {
            text = "request " + escape(request.text("<marker>"));
        }
        else {
            text = String.valueOf(sample);
        }
        return text.length() > 3000 ? text.substring(0, 3000) + "... (" + text.length() + " characters)" : text;
    }

    static String escape(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
                out.append(c);
            }
            else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        return out.append('"').toString();
    }
}
