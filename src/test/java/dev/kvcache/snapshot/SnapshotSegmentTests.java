package dev.kvcache.snapshot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Segments in a snapshot (version 2): what is written comes back byte for byte, and a bad one is a defect. */
class SnapshotSegmentTests {

    @TempDir
    Path directory;

    /** A segment's entries as the layout says: lengths, expiry, key and value, padded to 8 bytes. */
    private static ByteBuffer entries(int count, int seed) {
        ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            int keyLength = 1 + (i + seed) % 40;
            int valueLength = 1 + (i * 7 + seed) % 300;
            int at = buffer.position();
            buffer.putShort((short) keyLength).putShort((short) valueLength).putLong(1_000L * i + seed);
            for (int b = 0; b < keyLength + valueLength; b++) {
                buffer.put((byte) (b * 31 + i + seed));
            }
            buffer.position(at + SnapshotSegment.entrySize(keyLength, valueLength));
        }
        return buffer.flip();
    }

    private record Read(int kind, int ttlClass, long lastMark, int count, byte[] entries) {
    }

    @Test
    void segmentsComeBackByteForByteWithTheirKindClassAndMark() throws IOException {
        List<ByteBuffer> written = List.of(entries(100, 1), entries(1, 2), entries(250, 3));
        WriteSummary summary = Snapshots.writeSegments(directory, sink -> {
            for (int i = 0; i < written.size(); i++) {
                sink.addSegment(written.get(i).duplicate(), i == 0 ? 100 : i == 1 ? 1 : 250, i % 2, 9 + i, 1_000L * i);
            }
        });
        List<Read> read = new ArrayList<>();
        ReadResult result = Snapshots.read(summary.file(), entry -> { }, segment -> {
            byte[] bytes = new byte[segment.entries().remaining()];
            segment.entries().duplicate().get(bytes);
            read.add(new Read(segment.kind(), segment.ttlClass(), segment.lastMark(), segment.count(), bytes));
        });
        assertThat(result.complete()).isTrue();
        assertThat(result.entries()).isEqualTo(351).isEqualTo(summary.entries());
        assertThat(result.blocks()).isEqualTo(3);
        assertThat(Files.size(summary.file())).isEqualTo(summary.fileBytes());
        assertThat(Snapshots.versionOf(summary.file())).isEqualTo(2);
        assertThat(read).hasSize(3);
        for (int i = 0; i < 3; i++) {
            byte[] expected = new byte[written.get(i).remaining()];
            written.get(i).duplicate().get(expected);
            assertThat(read.get(i).entries()).isEqualTo(expected);
            assertThat(read.get(i).kind()).isEqualTo(i % 2);
            assertThat(read.get(i).ttlClass()).isEqualTo(9 + i);
            assertThat(read.get(i).lastMark()).isEqualTo(1_000L * i);
        }
    }

    @Test
    void aSegmentWhoseEntriesDoNotFillItIsRefusedByTheWriter() {
        ByteBuffer entries = entries(10, 1);
        assertThatThrownBy(() -> Snapshots.writeSegments(directory, sink -> sink.addSegment(entries, 11, 0, 0, 0)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Snapshots.fileIn(directory)).doesNotExist();
    }

    @Test
    void aDamagedSegmentStopsTheReadWithWhatCameBefore() throws IOException {
        WriteSummary summary = Snapshots.writeSegments(directory, sink -> {
            sink.addSegment(entries(50, 1), 50, 0, 0, 1);
            sink.addSegment(entries(50, 2), 50, 0, 0, 2);
        });
        byte[] bytes = Files.readAllBytes(summary.file());
        bytes[bytes.length - 100] ^= 0x10; // inside the second segment
        Files.write(summary.file(), bytes);
        List<Long> marks = new ArrayList<>();
        ReadResult result = Snapshots.read(summary.file(), entry -> { }, segment -> marks.add(segment.lastMark()));
        assertThat(result.defective()).isTrue();
        assertThat(result.problem()).contains("checksum mismatch in segment 1");
        assertThat(marks).containsExactly(1L);
    }
}
