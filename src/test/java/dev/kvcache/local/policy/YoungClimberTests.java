package dev.kvcache.local.policy;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class YoungClimberTests {

    @Test
    void aKeyMissedAfterItWasDroppedIsAdmittedOnItsNextPut() {
        var climber = new YoungClimber(1 << 20, 1024);
        long hash = 0x1234_5678_9ABC_DEF1L;
        climber.youngDropped(hash, 100);
        climber.missed(hash, 200, 0, 0, 0, 0, horizon -> { });
        assertThat(climber.admits(hash)).isTrue();
        assertThat(climber.admits(hash)).as("spent").isFalse();
    }
}
