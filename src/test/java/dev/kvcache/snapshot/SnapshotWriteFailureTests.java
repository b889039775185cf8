package dev.kvcache.snapshot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/** A write that fails leaves no file under the real name, no temporary file, and the previous snapshot intact. */
class SnapshotWriteFailureTests {

    private static final List<TestEntry> PREVIOUS = List.of(new TestEntry("previous", "snapshot", 0, 1));

    @TempDir
    Path directory;

    private byte[] previousBytes;

    @BeforeEach
    void writePreviousSnapshot() throws IOException {
        TestEntry.write(directory, PREVIOUS, SnapshotFormat.MAX_BLOCK_DATA);
        previousBytes = Files.readAllBytes(Snapshots.fileIn(directory));
    }

    private void assertPreviousSnapshotIntactAndNoTemporaryFile() throws IOException {
        assertThat(Snapshots.temporaryFileIn(directory)).doesNotExist();
        assertThat(Files.readAllBytes(Snapshots.fileIn(directory))).isEqualTo(previousBytes);
        assertThat(TestEntry.read(Snapshots.fileIn(directory)).entries()).containsExactlyElementsOf(PREVIOUS);
    }

    /** A source that fails after some blocks have reached the temporary file. */
    private static EntrySource failingAfter(int entries, RuntimeException failure) {
        return sink -> {
            for (int i = 0; i < entries; i++) {
                sink.add(("key" + i).getBytes(), new byte[200], 0, i);
            }
            throw failure;
        };
    }

    @Test
    void aSourceThatThrowsMidwayLeavesThePreviousSnapshot() throws IOException {
        IllegalStateException failure = new IllegalStateException("store went away");
        assertThatThrownBy(() -> Snapshots.write(directory, failingAfter(10_000, failure), 4096)).isSameAs(failure);
        assertPreviousSnapshotIntactAndNoTemporaryFile();
    }

    @Test
    void anIOExceptionOfTheSourceSurfacesWithItsCauseAndTheFileName() throws IOException {
        IOException diskFull = new IOException("No space left on device");
        EntrySource source = sink -> {
            sink.add("k".getBytes(), "v".getBytes(), 0, 1);
            throw diskFull;
        };
        assertThatThrownBy(() -> Snapshots.write(directory, source))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(Snapshots.fileIn(directory).toString())
                .hasMessageContaining("No space left on device")
                .hasCause(diskFull);
        assertPreviousSnapshotIntactAndNoTemporaryFile();
    }

    @Test
    void anInterruptedWriteFailsWithAnIOExceptionAndLeavesThePreviousSnapshot() throws IOException {
        EntrySource interruptedMidway = sink -> {
            for (int i = 0; i < 10_000; i++) {
                if (i == 100) {
                    Thread.currentThread().interrupt();
                }
                sink.add(("key" + i).getBytes(), new byte[200], 0, i);
            }
        };
        try {
            assertThatThrownBy(() -> Snapshots.write(directory, interruptedMidway, 4096))
                    .isInstanceOf(IOException.class)
                    .hasCauseInstanceOf(ClosedByInterruptException.class);
        }
        finally {
            Thread.interrupted();
        }
        assertPreviousSnapshotIntactAndNoTemporaryFile();
    }

    @Test
    void aFailedRenameLeavesNoTemporaryFile() throws IOException {
        // A non-empty directory under the real name cannot be renamed over, even by root.
        Path file = Snapshots.fileIn(directory);
        Files.delete(file);
        Files.createDirectory(file);
        Files.writeString(file.resolve("inside"), "x");
        assertThatThrownBy(() -> TestEntry.write(directory, PREVIOUS, SnapshotFormat.MAX_BLOCK_DATA))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString());
        assertThat(Snapshots.temporaryFileIn(directory)).doesNotExist();
        assertThat(file.resolve("inside")).hasContent("x");
    }

    @Test
    void aDirectoryThatIsAFileCannotBeWrittenTo() throws IOException {
        Path notADirectory = directory.resolve("plain-file");
        Files.writeString(notADirectory, "x");
        assertThatThrownBy(() -> TestEntry.write(notADirectory, PREVIOUS, SnapshotFormat.MAX_BLOCK_DATA))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(notADirectory.toString());
        assertThat(notADirectory).hasContent("x");
    }

    @Test
    void aDirectoryWithoutWritePermissionCannotBeWrittenTo() throws IOException {
        assumeThat(System.getProperty("user.name")).as("root writes whatever the mode").isNotEqualTo("root");
        assumeThat(directory.getFileSystem().supportedFileAttributeViews()).contains("posix");
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assertThatThrownBy(() -> TestEntry.write(directory, List.of(), SnapshotFormat.MAX_BLOCK_DATA))
                    .isInstanceOf(IOException.class);
        }
        finally {
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        }
        assertPreviousSnapshotIntactAndNoTemporaryFile();
    }

    @Test
    void aTemporaryFileLeftByACrashIsReplacedAndNeverRead() throws IOException {
        Path leftover = Snapshots.temporaryFileIn(directory);
        Files.write(leftover, new byte[3 * SnapshotFormat.MAX_BLOCK_DATA]); // larger than what comes next
        assertThat(TestEntry.read(Snapshots.fileIn(directory)).entries()).containsExactlyElementsOf(PREVIOUS);
        List<TestEntry> next = List.of(new TestEntry("next", "snapshot", 0, 2));
        TestEntry.write(directory, next, SnapshotFormat.MAX_BLOCK_DATA);
        assertThat(leftover).doesNotExist();
        TestEntry.Read read = TestEntry.read(Snapshots.fileIn(directory));
        assertThat(read.result().complete()).isTrue();
        assertThat(read.entries()).containsExactlyElementsOf(next);
    }

    @Test
    void aWriteWhileAnotherProcessWritesFailsFast() throws IOException {
        // A lock held through another channel is what this JVM sees of another process's lock.
        try (FileChannel lockFile = FileChannel.open(directory.resolve(Snapshots.LOCK_FILE_NAME),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE); FileLock held = lockFile.lock()) {
            assertThatThrownBy(() -> TestEntry.write(directory, List.of(), SnapshotFormat.MAX_BLOCK_DATA))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("another process is writing a snapshot");
        }
        assertPreviousSnapshotIntactAndNoTemporaryFile();
    }

    @Test
    void writersOfOneJvmTakeTurnsAndTheResultIsOneOfTheirSnapshotsWhole() throws Exception {
        List<List<TestEntry>> snapshots = new ArrayList<>();
        for (int writer = 0; writer < 4; writer++) {
            List<TestEntry> entries = new ArrayList<>();
            for (int i = 0; i < 5_000; i++) {
                entries.add(new TestEntry("writer" + writer + "-" + i, "x".repeat(100), 0, i));
            }
            snapshots.add(entries);
        }
        ExecutorService pool = Executors.newFixedThreadPool(snapshots.size());
        try {
            List<Future<WriteSummary>> writes = new ArrayList<>();
            for (List<TestEntry> entries : snapshots) {
                writes.add(pool.submit(() -> TestEntry.write(directory, entries, 4096)));
            }
            for (Future<WriteSummary> write : writes) {
                assertThat(write.get().entries()).isEqualTo(5_000);
            }
        }
        finally {
            pool.shutdownNow();
        }
        TestEntry.Read read = TestEntry.read(Snapshots.fileIn(directory));
        assertThat(read.result().complete()).isTrue();
        assertThat(snapshots).contains(read.entries());
    }

    @Test
    void aConsumerThatThrowsStopsTheReadWithItsException() {
        UncheckedIOException failure = new UncheckedIOException(new IOException("store full"));
        assertThatThrownBy(() -> Snapshots.read(Snapshots.fileIn(directory), entry -> {
            throw failure;
        })).isSameAs(failure);
    }
}
