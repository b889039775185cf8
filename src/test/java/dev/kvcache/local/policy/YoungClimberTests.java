package dev.kvcache.local.policy;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class YoungClimberTests {

    @Test
    void aKeyPutAgainAfterItWasDroppedIsKnownWhenItsEntryLeavesYoung() {
        var climber = new YoungClimber(1 << 20, 1024);
        long hash = 0x1234_5678_9ABC_DEF1L;
        climber.youngDropped(hash, 100);
        climber.missed(hash, 200, 0, 0, 0, 0, horizon -> { });
        climber.returning(hash);
        for (int i = 0; i < 7; i++) {
            climber.youngDropped(hash ^ (long) (i + 1) << 9, 300 + i); // the same set, other keys
        }
        assertThat(climber.returned(hash)).isTrue();
        assertThat(climber.returned(hash)).as("spent").isFalse();
    }

    @Test
    void aKeyPutForTheFirstTimeIsNotReturning() {
        var climber = new YoungClimber(1 << 20, 1024);
        long hash = 0x1234_5678_9ABC_DEF1L;
        climber.returning(hash);
        assertThat(climber.returned(hash)).isFalse();
    }

    @Test
    void trafficLoopsWhileTheEntriesDroppedUnreadComeBack() {
        var climber = new YoungClimber(1 << 20, 1 << 14);
        assertThat(climber.looping()).isFalse();
        for (long i = 1; i <= 2000; i++) {
            climber.youngDropped(i * 0x9E37_79B9_7F4A_7C15L, i);
        }
        assertThat(climber.looping()).as("nothing came back").isFalse();
        for (long i = 1; i <= 2000; i++) {
            long hash = i * 0x9E37_79B9_7F4A_7C15L;
            climber.missed(hash, 3000, 0, 0, 0, 0, horizon -> { });
            climber.returning(hash);
            climber.youngDropped(hash, 3000 + i);
        }
        assertThat(climber.looping()).as("a loop: every key comes back").isTrue();
    }
}
