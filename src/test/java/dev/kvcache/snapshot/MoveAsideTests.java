package dev.kvcache.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** A bad file is renamed beside the snapshot, never deleted or overwritten. */
class MoveAsideTests {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-06-01T12:34:56.789Z"), ZoneOffset.UTC);

    @TempDir
    Path directory;

    @Test
    void theMovedFileKeepsItsBytesUnderATimestampedName() throws IOException {
        Path file = Snapshots.fileIn(directory);
        byte[] bytes = { (byte) 0x89, 'K', 'V', 0, 1, 2, 3 };
        Files.write(file, bytes);
        Path moved = Snapshots.moveAside(file, CLOCK);
        assertThat(moved).isEqualTo(directory.resolve("kv-cache.snapshot.corrupt-20250601T123456.789Z"));
        assertThat(Files.readAllBytes(moved)).isEqualTo(bytes);
        assertThat(file).doesNotExist();
    }

    @Test
    void aSecondBadFileInTheSameMillisecondDoesNotOverwriteTheFirst() throws IOException {
        Path file = Snapshots.fileIn(directory);
        Files.writeString(file, "first");
        Path first = Snapshots.moveAside(file, CLOCK);
        Files.writeString(file, "second");
        Path second = Snapshots.moveAside(file, CLOCK);
        assertThat(second).isNotEqualTo(first).hasFileName(first.getFileName() + "-1");
        assertThat(first).hasContent("first");
        assertThat(second).hasContent("second");
    }

    @Test
    void aDirectoryUnderTheSnapshotsNameIsMovedAsideWhole() throws IOException {
        Path file = Snapshots.fileIn(directory);
        Files.createDirectories(file.resolve("inside"));
        Path moved = Snapshots.moveAside(file);
        assertThat(moved.resolve("inside")).isDirectory();
        assertThat(moved.getFileName().toString()).startsWith("kv-cache.snapshot.corrupt-");
        assertThat(file).doesNotExist();
    }
}
