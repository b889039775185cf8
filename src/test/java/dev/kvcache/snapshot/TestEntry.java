package dev.kvcache.snapshot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An entry as tests compare it. Bytes are held as ISO-8859-1 strings, which map each of the 256 byte values to
 * one char, so that equals compares contents.
 */
record TestEntry(String key, String value, long expiresAtEpochMillis, long writeMark) {

    static TestEntry of(byte[] key, byte[] value, long expiresAtEpochMillis, long writeMark) {
        return new TestEntry(text(key), text(value), expiresAtEpochMillis, writeMark);
    }

    byte[] keyBytes() {
        return key.getBytes(StandardCharsets.ISO_8859_1);
    }

    byte[] valueBytes() {
        return value.getBytes(StandardCharsets.ISO_8859_1);
    }

    static WriteSummary write(Path directory, List<TestEntry> entries, int blockDataLimit) throws IOException {
        return Snapshots.write(directory, sink -> {
            for (TestEntry entry : entries) {
                sink.add(entry.keyBytes(), entry.valueBytes(), entry.expiresAtEpochMillis(), entry.writeMark());
            }
        }, blockDataLimit);
    }

    /** Reads a file and collects what it delivers. */
    static Read read(Path file) {
        List<TestEntry> delivered = new ArrayList<>();
        ReadResult result = Snapshots.read(file, entry -> delivered.add(
                of(entry.key(), entry.value(), entry.expiresAtEpochMillis(), entry.writeMark())));
        return new Read(result, delivered);
    }

    record Read(ReadResult result, List<TestEntry> entries) {
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
