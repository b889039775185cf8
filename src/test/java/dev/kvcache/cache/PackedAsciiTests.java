package dev.kvcache.cache;

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
        assertThat(Key.of("k".repeat(256)).packedLength()).isEqualTo(225);
    }

    @Test
    void keysThatPackIntoTheSameBitsStayApart() {
        // 7 characters and 8 characters take the same 7 bytes; a trailing NUL or DEL fills exactly the bits
        // the shorter key leaves free.
        String seven = "ABCDEFG";
        Set<Key> keys = new HashSet<>();
        for (String key : new String[] { seven, seven + "\0", seven + "\u007f", "", "\0", "\0\0\0\0\0\0\0\0" }) {
            assertThat(keys.add(Key.of(key))).as("distinct key %s", key.length()).isTrue();
        }
        assertThat(Key.of(seven + "\0")).isEqualTo(Key.of(seven + "\0"))
                .hasSameHashCodeAs(Key.of(seven + "\0"))
                .isNotEqualTo(Key.of(seven));
        assertThat(Key.of(seven + "\0").toString()).isEqualTo(seven + "\0");
    }

    @Test
    void storedValuesKeepTheirHeaderAndTheirText() {
        String value = "v".repeat(255) + "\u007f";
        byte[] stored = StoredValue.of(value, 12345, 678);
        assertThat(stored).hasSize(StoredValue.HEADER + 225);
        assertThat(StoredValue.text(stored)).isEqualTo(value);
        assertThat(StoredValue.writeMark(stored)).isEqualTo(12345);
        assertThat(StoredValue.expiresAt(stored)).isEqualTo(678);
        assertThat(StoredValue.text(StoredValue.of("", 1, 2))).isEmpty();
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
        String text = new String(ascii, StandardCharsets.ISO_8859_1);
        assertThat(Key.of(text).toString()).isEqualTo(text);
        assertThat(Key.of(text)).isEqualTo(Key.ofAscii(ascii.clone()));
    }
}
