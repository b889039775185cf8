package dev.kvcache.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.kvcache.api.ApiGenerators.Entry;
import dev.kvcache.api.ApiGenerators.HeaderCase;

/** The shrinkers of {@link PropertyRunner#forAll}: smaller variants of a failing sample, in the order tried. */
final class Shrinkers {

    private Shrinkers() {
    }

    static List<Entry> shrinkEntry(Entry entry) {
        List<Entry> smaller = new ArrayList<>();
        if (entry.spelling() != 0) {
            smaller.add(new Entry(entry.key(), entry.value(), 0, entry.ttl()));
        }
        if (entry.ttl() != null) {
            smaller.add(new Entry(entry.key(), entry.value(), entry.spelling(), null));
        }
        for (String key : shrinkString(entry.key())) {
            if (!key.isEmpty()) {
                smaller.add(new Entry(key, entry.value(), entry.spelling(), entry.ttl()));
            }
        }
        for (String value : shrinkString(entry.value())) {
            smaller.add(new Entry(entry.key(), value, entry.spelling(), entry.ttl()));
        }
        return smaller;
    }

    static List<String> shrinkString(String text) {
        return shrinkBytes(text.getBytes(StandardCharsets.ISO_8859_1)).stream()
                .map(bytes -> new String(bytes, StandardCharsets.ISO_8859_1))
                .toList();
    }

    /** The bytes without one chunk: halves first, then quarters, and so on down to single bytes. */
    static List<byte[]> shrinkBytes(byte[] bytes) {
        List<byte[]> smaller = new ArrayList<>();
        for (int chunk = Math.max(1, bytes.length / 2); chunk >= 1 && smaller.size() < 48; chunk /= 2) {
            for (int at = 0; at + chunk <= bytes.length && smaller.size() < 48; at += chunk) {
                byte[] without = new byte[bytes.length - chunk];
                System.arraycopy(bytes, 0, without, 0, at);
                System.arraycopy(bytes, at + chunk, without, at, bytes.length - at - chunk);
                smaller.add(without);
            }
            if (chunk == 1) {
                break;
            }
        }
        return smaller;
    }

    static List<HeaderCase> shrinkHeaders(HeaderCase request) {
        List<HeaderCase> smaller = new ArrayList<>();
        if (!request.targetSuffix().isEmpty()) {
            smaller.add(new HeaderCase(request.method(), "", request.headers()));
            smaller.add(new HeaderCase(request.method(),
                    request.targetSuffix().substring(0, request.targetSuffix().length() / 2), request.headers()));
        }
        for (int i = request.headers().size() - 1; i >= 0; i--) {
            List<String> fewer = new ArrayList<>(request.headers());
            fewer.remove(i);
            smaller.add(new HeaderCase(request.method(), request.targetSuffix(), fewer));
        }
        for (int i = 0; i < request.headers().size(); i++) {
            String header = request.headers().get(i);
            if (header.length() > 40) {
                List<String> shorter = new ArrayList<>(request.headers());
                shorter.set(i, header.substring(0, header.length() / 2));
                smaller.add(new HeaderCase(request.method(), request.targetSuffix(), shorter));
            }
        }
        return smaller;
    }
}
