package dev.kvcache.gatling;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A fixed set of values, made once from a seeded random so every run writes the same ones. The simulations
 * only ever put values from the pool, so a GET can be checked even when another virtual user overwrote the
 * key in between: whatever comes back must be one of these.
 *
 * <p>Values are drawn from every printable ASCII character plus tab and newline, and each value of 8 or more
 * characters is guaranteed to hold the ones that JSON must escape ({@code " \}, tab, newline), the ones a
 * careless server might turn into HTML entities ({@code < > &}) and a space: the round trip through the
 * server must give back exactly what was written.
 */
final class ValuePool {

    static final int DEFAULT_SIZE = 100;
    private static final long SEED = 7171L;
    private static final char[] TRICKY = {'"', '\\', '\t', '\n', '<', '>', '&', ' '};
    private static final char[] ALPHABET = alphabet();

    private final List<String> values = new ArrayList<>();
    private final List<String> jsonValues = new ArrayList<>();
    private final Set<String> valueSet;

    ValuePool(int size, int length) {
        Random random = new Random(SEED);
        for (int i = 0; i < size; i++) {
            String value = randomValue(random, length);
            values.add(value);
            jsonValues.add(Json.string(value)); // escaped once here, not on every request
        }
        valueSet = new HashSet<>(values);
    }

    int size() {
        return values.size();
    }

    String value(int index) {
        return values.get(index);
    }

    /** The value as a JSON string literal, quotes included, ready to paste into a request body. */
    String json(int index) {
        return jsonValues.get(index);
    }

    boolean contains(String value) {
        return valueSet.contains(value);
    }

    private static String randomValue(Random random, int length) {
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        if (length >= TRICKY.length) {
            List<Integer> positions = new ArrayList<>();
            for (int i = 0; i < length; i++) {
                positions.add(i);
            }
            Collections.shuffle(positions, random);
            for (int i = 0; i < TRICKY.length; i++) {
                chars[positions.get(i)] = TRICKY[i];
            }
        }
        return new String(chars);
    }

    private static char[] alphabet() {
        StringBuilder chars = new StringBuilder("\t\n");
        for (char c = ' '; c <= '~'; c++) {
            chars.append(c);
        }
        return chars.toString().toCharArray();
    }
}
