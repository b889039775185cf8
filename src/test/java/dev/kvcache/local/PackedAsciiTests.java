package dev.kvcache.local;

import dev.kvcache.local.segment.PackedAscii;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PackedAsciiTests {

    @Test
    void everyLengthAndEveryCharacterComesBackUnchanged() {
        Random random = new Random(14);
        for (int length = 0; length <= 600; length++) {
            for (int round = 0; round < 20; round++) {
                byte[] ascii = new byte[length];
                for (int i = 0; i < length; i++) {
                    ascii[i] = (byte) random.nextInt(128);
                }
                assertRoundTrip(ascii);
            }
        }
        byte[] all = new byte[128];
        for (int c = 0; c < 128; c++) {
            all[c] = (byte) c;
        }
        assertRoundTrip(all);
        byte[] extremes = new byte[64];
        Arrays.fill(extremes, (byte) 0x7F);
        assertRoundTrip(extremes);
        assertRoundTrip(new byte[64]); // all NUL
    }

    @Test
    void packsEightCharactersIntoSevenBytes() {
        assertThat(PackedAscii.packedLength(256)).isEqualTo(225);
        assertThat(PackedAscii.packedLength(36)).isEqualTo(33);
        assertThat(PackedAscii.packedLength(0)).isEqualTo(1);
        assertThat(ChunkLayout.packKey(ascii("k".repeat(256)))).hasSize(225);
    }

    @Test
    void keysThatPackIntoTheSameBitsStayApart() {
        // 7 characters and 8 characters take the same 7 bytes; a trailing NUL or DEL fills exactly the bits
        // the shorter key leaves free.
        String seven = "ABCDEFG";
        Set<IndexEntry> keys = new HashSet<>();
        for (String key : new String[] { seven, seven + "\0", seven + "\u007f", "", "\0", "\0\0\0\0\0\0\0\0" }) {
            assertThat(keys.add(lookup(key))).as("distinct key %s", key.length()).isTrue();
        }
        assertThat(lookup(seven + "\0")).isEqualTo(lookup(seven + "\0"))
                .hasSameHashCodeAs(lookup(seven + "\0"))
                .isNotEqualTo(lookup(seven));
        byte[] stored = ChunkLayout.image(ChunkLayout.packKey(ascii(seven + "\0")), 8, new byte[0], 1, 2);
        assertThat(ChunkLayout.hasKey(stored, ChunkLayout.packKey(ascii(seven + "\0")))).isTrue();
        assertThat(ChunkLayout.hasKey(stored, ChunkLayout.packKey(ascii(seven)))).isFalse();
    }

    @Test
    void storedEntriesKeepTheirHeaderAndTheirText() {
        String value = "v".repeat(255) + "\u007f";
        byte[] stored = ChunkLayout.image(ChunkLayout.packKey(ascii("key")), 3, ascii(value), 12345, 678);
        assertThat(stored).hasSize(ChunkLayout.HEADER + 4 + 225);
        assertThat(ChunkLayout.size(stored)).isEqualTo(stored.length);
        assertThat(ChunkLayout.valueText(stored)).isEqualTo(value);
        assertThat(ChunkLayout.keyAscii(stored)).isEqualTo(ascii("key"));
        assertThat(ChunkLayout.writeMark(stored)).isEqualTo(12345);
        assertThat(ChunkLayout.expiresAt(stored)).isEqualTo(678);
        byte[] empty = ChunkLayout.image(ChunkLayout.packKey(ascii("k")), 1, new byte[0], 1, 2);
        assertThat(ChunkLayout.valueText(empty)).isEmpty();
    }

    private static IndexEntry lookup(String key) {
        return IndexEntry.lookup(IndexEntry.fingerprint(1, ChunkLayout.packKey(ascii(key))));
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void assertRoundTrip(byte[] ascii) {
        // Packed at an offset, between bytes that must survive, as a value is packed after its header.
        byte[] packed = new byte[3 + PackedAscii.packedLength(ascii.length) + 2];
        Arrays.fill(packed, (byte) 0x5A);
        PackedAscii.pack(ascii, packed, 3);
        int length = PackedAscii.packedLength(ascii.length);
        assertThat(packed[0]).isEqualTo((byte) 0x5A);
        assertThat(packed[3 + length]).isEqualTo((byte) 0x5A);
        assertThat(PackedAscii.charCount(packed, 3, length)).isEqualTo(ascii.length);
        assertThat(PackedAscii.unpack(packed, 3, length)).isEqualTo(ascii);
        byte[] stored = ChunkLayout.image(ChunkLayout.packKey(ascii), ascii.length, ascii, 1, 2);
        assertThat(ChunkLayout.keyAscii(stored)).isEqualTo(ascii);
        assertThat(ChunkLayout.valueAscii(stored)).isEqualTo(ascii);
        assertThat(ChunkLayout.hasKey(stored, ChunkLayout.packKey(ascii.clone()))).isTrue();
    }
}
