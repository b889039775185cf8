package dev.kvcache.local.segment;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import dev.kvcache.local.index.KeyHash;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Text packed at 7 bits a character, and an entry as a segment holds it. */
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
        assertThat(PackedAscii.packedLength(65_536)).isEqualTo(57_345).isLessThan(1 << 16);
        assertThat(EntryLayout.packKey("k".repeat(256))).hasSize(225);
        assertThat(EntryLayout.sizeOf(256, 256)).as("12-byte header, 450 packed bytes, padded").isEqualTo(464);
        assertThat(EntryLayout.sizeOf(36, 256)).isEqualTo(272);
        assertThat(EntryLayout.sizeOf(1, 0)).isEqualTo(16);
    }

    @Test
    void keysThatPackIntoTheSameBitsStayApart() {
        // 7 characters and 8 characters take the same 7 bytes; a trailing NUL or DEL fills exactly the bits
        // the shorter key leaves free.
        String seven = "ABCDEFG";
        Set<Long> hashes = new HashSet<>();
        for (String key : new String[] { seven, seven + "\0", seven + "\u007f", "\0", "\0\0\0\0\0\0\0\0" }) {
            assertThat(hashes.add(KeyHash.of(1, EntryLayout.packKey(key)))).as("distinct key %s", key.length())
                    .isTrue();
        }
        ByteBuffer segment = segment(64);
        EntryLayout.write(segment, 8, EntryLayout.packKey(seven + "\0"), EntryLayout.pack(new byte[0]), 2);
        assertThat(EntryLayout.hasKey(segment, 8, EntryLayout.packKey(seven + "\0"))).isTrue();
        assertThat(EntryLayout.hasKey(segment, 8, EntryLayout.packKey(seven))).isFalse();
        byte[] copy = EntryLayout.copy(segment, 8, 64);
        assertThat(EntryLayout.hasKey(copy, EntryLayout.packKey(seven + "\0"))).isTrue();
        assertThat(EntryLayout.hasKey(copy, EntryLayout.packKey(seven))).isFalse();
    }

    @Test
    void anEntryInItsSegmentHoldsItsLengthsExpiryKeyAndValue() {
        String value = "v".repeat(255) + "\u007f";
        ByteBuffer segment = segment(1024);
        EntryLayout.write(segment, 16, EntryLayout.packKey("key"), EntryLayout.pack(ascii(value)), 678);
        assertThat(EntryLayout.sizeAt(segment, 16)).isEqualTo(EntryLayout.sizeOf(3, value.length()));
        assertThat(EntryLayout.expiresAt(segment, 16)).isEqualTo(678);
        byte[] copy = EntryLayout.copy(segment, 16, 1024);
        assertThat(copy).hasSize(EntryLayout.HEADER + 4 + 225);
        assertThat(EntryLayout.valueText(copy)).isEqualTo(value);
        assertThat(EntryLayout.keyAscii(copy)).isEqualTo(ascii("key"));
        assertThat(EntryLayout.expiresAt(copy)).isEqualTo(678);
        EntryLayout.write(segment, 512, EntryLayout.packKey("k"), EntryLayout.pack(new byte[0]), EntryLayout.NEVER);
        assertThat(EntryLayout.valueText(EntryLayout.copy(segment, 512, 1024))).isEmpty();
        assertThat(EntryLayout.expiresAt(segment, 512)).isEqualTo(EntryLayout.NEVER);
    }

    @Test
    void aCopyOfNonsenseIsRefusedNotThrown() {
        ByteBuffer segment = segment(64);
        segment.putShort(0, (short) 60_000); // a header read from bytes reused by another entry
        assertThat(EntryLayout.copy(segment, 0, 64)).isNull();
        assertThat(EntryLayout.copy(segment, 60, 64)).isNull();
        assertThat(EntryLayout.copy(segment, -8, 64)).isNull();
    }

    private static ByteBuffer segment(int size) {
        return ByteBuffer.allocate(size).order(EntryLayout.ORDER);
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
        if (ascii.length > 0 && ascii.length <= 2048) {
            ByteBuffer segment = segment(EntryLayout.sizeOf(ascii.length, ascii.length) + 8);
            EntryLayout.write(segment, 8, EntryLayout.pack(ascii), EntryLayout.pack(ascii), 1);
            byte[] copy = EntryLayout.copy(segment, 8, segment.capacity());
            assertThat(EntryLayout.keyAscii(copy)).isEqualTo(ascii);
            assertThat(EntryLayout.valueAscii(copy)).isEqualTo(ascii);
            assertThat(EntryLayout.hasKey(copy, EntryLayout.pack(ascii.clone()))).isTrue();
            assertThat(EntryLayout.hasKey(segment, 8, EntryLayout.pack(ascii.clone()))).isTrue();
        }
    }
}
