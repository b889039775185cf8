package dev.kvcache.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Throughput of writing and reading a snapshot the size of a full t3.small cache: 1.7 million entries of 256-byte
 * keys and 256-byte values (870 MB of entry data). Run by hand; it takes well under a minute. MB/s counts entry
 * data (keys and values, 10^6 bytes); the write includes the fsync,
 * the rename and the directory sync; the read copies every key and value out, as the store will.
 * <pre>
 * ./mvnw -q -B -Pjmh test-compile
 * cp=target/test-classes:target/classes
 * java -Xmx256m -cp $cp dev.kvcache.snapshot.SnapshotThroughput write /tmp/snapbench
 * sync; echo 3 &gt; /proc/sys/vm/drop_caches
 * java -Xmx256m -cp $cp dev.kvcache.snapshot.SnapshotThroughput read /tmp/snapbench     # cold page cache
 * java -Xmx256m -cp $cp dev.kvcache.snapshot.SnapshotThroughput read /tmp/snapbench     # warm page cache
 * java -Xmx256m -cp $cp dev.kvcache.snapshot.SnapshotThroughput cutoff /tmp/snapbench   # budget half the data
 * dd if=/dev/zero of=/tmp/snapbench/ddtest bs=1M count=1000 conv=fdatasync                  # the disk, writing
 * sync; echo 3 &gt; /proc/sys/vm/drop_caches; dd if=/tmp/snapbench/ddtest of=/dev/null bs=1M  # the disk, reading
 * </pre>
 * Its figures, and what they say of the disk: docs/warm-restart.md.
 */
public final class SnapshotThroughput {

    private static final int KEY_LENGTH = 256;
    private static final int VALUE_LENGTH = 256;

    private SnapshotThroughput() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: SnapshotThroughput write|read|cutoff <directory> [entries, default 1700000]");
            System.exit(2);
        }
        Path directory = Path.of(args[1]);
        int entries = args.length > 2 ? Integer.parseInt(args[2]) : 1_700_000;
        Path warmUp = directory.resolve("warm-up"); // lets the JIT compile the code before the timed run
        switch (args[0]) {
            case "write" -> {
                write(warmUp, 100_000, false);
                write(directory, entries, true);
            }
            case "read" -> {
                read(Snapshots.fileIn(warmUp), false);
                read(Snapshots.fileIn(directory), true);
            }
            case "cutoff" -> cutoff(Snapshots.fileIn(directory));
            default -> throw new IllegalArgumentException("write, read or cutoff, not " + args[0]);
        }
    }

    private static void write(Path directory, int entries, boolean print) throws IOException {
        byte[] key = new byte[KEY_LENGTH];
        byte[] value = new byte[VALUE_LENGTH];
        Arrays.fill(key, (byte) 'k');
        Arrays.fill(value, (byte) 'v');
        long expiresAt = System.currentTimeMillis() + 300_000;
        long start = System.nanoTime();
        WriteSummary summary = Snapshots.write(directory, sink -> {
            for (int i = 0; i < entries; i++) {
                // A distinct key per entry, in the same arrays: the writer copies before add returns.
                for (int at = 0, rest = i; at < 8; at++, rest /= 10) {
                    key[at] = (byte) ('0' + rest % 10);
                }
                value[0] = key[0];
                sink.add(key, value, expiresAt, i);
            }
        });
        if (print) {
            print("write ", summary.entries(), summary.entryBytes(), summary.fileBytes(), System.nanoTime() - start);
        }
    }

    private static void read(Path file, boolean print) throws IOException {
        long[] checksum = new long[1];
        long start = System.nanoTime();
        ReadResult result = Snapshots.read(file, entry -> {
            byte[] key = entry.key();
            byte[] value = entry.value();
            checksum[0] += key[0] + value[value.length - 1]; // uses the copies, so they are made
        });
        long nanos = System.nanoTime() - start;
        if (!result.complete()) {
            throw new IllegalStateException(result.toString());
        }
        if (print) {
            print("read  ", result.entries(), result.entryBytes(), Files.size(file), nanos);
        }
    }

    /** The extra pass a start-up makes when the budget is smaller than the snapshot: here half of it. */
    private static void cutoff(Path file) throws IOException {
        long start = System.nanoTime();
        LoadCutoff cutoff = Snapshots.findCutoff(file, 435_000_000, 0, Integer::sum);
        print("cutoff", cutoff.scan().entries(), cutoff.scan().entryBytes(), Files.size(file), System.nanoTime() - start);
        System.out.printf(Locale.ROOT, "       kept %,d entries, left out %,d%n", cutoff.keptEntries(),
                cutoff.leftOutEntries());
    }

    private static void print(String what, long entries, long entryBytes, long fileBytes, long nanos) {
        double seconds = nanos / 1e9;
        System.out.printf(Locale.ROOT, "%s %,d entries, %,d MB entry data, %,d MB file in %.2f s: %.0f MB/s of entry"
                + " data%n", what, entries, entryBytes / 1_000_000, fileBytes / 1_000_000, seconds,
                entryBytes / 1e6 / seconds);
    }
}
