package dev.kvcache.cluster;

import java.time.Duration;
import java.util.List;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static dev.kvcache.cluster.ClusterProperties.Engine.HAZELCAST;
import static org.assertj.core.api.Assertions.assertThat;

/** The member's configuration as {@link HazelcastStore} builds it, without starting a member. */
class HazelcastConfigTests {

    private static final ClusterProperties CLUSTER = new ClusterProperties(HAZELCAST,
            List.of("127.0.0.1:5701", "127.0.0.1:5702"), "127.0.0.1", 5701, "test", 1);

    /** Hazelcast counts whole seconds and takes 0 for "never": a TTL under a second must not become 0. */
    @ParameterizedTest
    @CsvSource({ "PT0S, 0", "PT0.001S, 1", "PT0.5S, 1", "PT1S, 1", "PT1.5S, 2", "PT5M, 300" })
    void ttlIsRoundedUpToWholeSeconds(Duration ttl, int seconds) {
        assertThat(mapConfig(ttl).getTimeToLiveSeconds()).isEqualTo(seconds);
    }

    @Test
    void membersTalkOnlyToTheirPeersAndEvictByUsedHeap() {
        Config config = HazelcastStore.config(CLUSTER, Duration.ofMinutes(5), 512L * 1024 * 1024);
        assertThat(config.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
        var join = config.getNetworkConfig().getJoin();
        assertThat(join.getMulticastConfig().isEnabled()).isFalse();
        assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
        assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
        assertThat(join.getTcpIpConfig().getMembers()).containsExactly("127.0.0.1:5701", "127.0.0.1:5702");
        MapConfig map = config.getMapConfig(HazelcastStore.MAP);
        assertThat(map.getBackupCount()).isEqualTo(1);
        assertThat(map.getAsyncBackupCount()).isZero();
        assertThat(map.getEvictionConfig().getMaxSizePolicy()).isEqualTo(MaxSizePolicy.USED_HEAP_SIZE);
        assertThat(map.getEvictionConfig().getSize()).isEqualTo(512);
    }

    private static MapConfig mapConfig(Duration ttl) {
        return HazelcastStore.config(CLUSTER, ttl, 64L * 1024 * 1024).getMapConfig(HazelcastStore.MAP);
    }
}
