package dev.kvcache.cluster;

import java.util.List;

import org.infinispan.commons.dataconversion.MediaType;
import org.infinispan.configuration.cache.CacheMode;
import org.infinispan.configuration.cache.Configuration;
import org.infinispan.configuration.cache.StorageType;
import org.infinispan.eviction.EvictionStrategy;
import org.jgroups.JChannel;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.stack.Protocol;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The member's configuration as {@link InfinispanStore} and {@link MemberChannel} build it, without starting one. */
class InfinispanConfigTests {

    private static final ClusterProperties CLUSTER = new ClusterProperties(
            List.of("127.0.0.1:5701", "127.0.0.2:5702", "localhost"), "127.0.0.1", 5701, "test", 1);

    /** The channel as the member gets it, before it connects: nothing is sent or bound yet. */
    @Test
    void membersTalkOnlyToThePeersTheyAreGiven() {
        try (JChannel channel = MemberChannel.create(CLUSTER)) {
            List<String> protocols = channel.getProtocolStack().getProtocols().stream().map(Protocol::getName).toList();
            assertThat(protocols).contains("TCP", "TCPPING", "FD_SOCK2", "FD_ALL3", "GMS")
                    .doesNotContain("UDP", "MPING", "PING", "DNS_PING", "KUBE_PING", "TUNNEL");
            TCP tcp = channel.getProtocolStack().findProtocol(TCP.class);
            assertThat(tcp.getBindAddress().getHostAddress()).isEqualTo("127.0.0.1");
            assertThat(tcp.getBindPort()).isEqualTo(5701);
            assertThat(tcp.getPortRange()).isZero();
            assertThat(tcp.getDiagnosticsHandler().isEnabled()).as("multicast diagnostics").isFalse();
            TCPPING ping = channel.getProtocolStack().findProtocol(TCPPING.class);
            // JGroups adds this member's own address at the listed ports.
            assertThat(ping.getInitialHosts()).map(Object::toString)
                    .contains("127.0.0.1:5701", "127.0.0.2:5702")
                    .allMatch(host -> host.equals("127.0.0.2:5702") || host.startsWith("127.0.0.1:"));
            assertThat(ping.getPortRange()).isZero();
            FD_SOCK2 failureDetection = channel.getProtocolStack().findProtocol(FD_SOCK2.class);
            assertThat(failureDetection.getOffset()).isEqualTo(100);
        }
    }

    @Test
    void membersAreListedAsTcpPingHosts() {
        ClusterProperties cluster = new ClusterProperties(
                List.of("10.0.0.5:5702", "kv-cache-1.kv-cache", "[::1]:5703", "[fe80::1]"), "", 5701, "test", 1);
        assertThat(MemberChannel.initialHosts(cluster))
                .isEqualTo("10.0.0.5[5702],kv-cache-1.kv-cache[5701],::1[5703],fe80::1[5701]");
    }

    @Test
    void entriesLiveOffTheHeapOnTheirOwnersWithinTheBudget() {
        Configuration cache = InfinispanStore.cacheConfiguration(CLUSTER, 512L * 1024 * 1024);
        assertThat(cache.clustering().cacheMode()).isEqualTo(CacheMode.DIST_SYNC);
        assertThat(cache.clustering().hash().numOwners()).isEqualTo(2);
        assertThat(cache.memory().storage()).isEqualTo(StorageType.OFF_HEAP);
        assertThat(cache.memory().maxSizeBytes()).isEqualTo(512L * 1024 * 1024);
        assertThat(cache.memory().whenFull()).isEqualTo(EvictionStrategy.REMOVE);
        assertThat(cache.expiration().wakeUpInterval()).as("no reaper walking every entry").isNegative();
        assertThat(cache.encoding().keyDataType().mediaType()).isEqualTo(MediaType.APPLICATION_OCTET_STREAM);
        assertThat(cache.encoding().valueDataType().mediaType()).isEqualTo(MediaType.APPLICATION_OCTET_STREAM);
    }

    @Test
    void noBackupsMeansOneOwner() {
        ClusterProperties alone = new ClusterProperties(List.of(), "", 5701, "test", 0);
        assertThat(InfinispanStore.cacheConfiguration(alone, 1 << 20).clustering().hash().numOwners()).isEqualTo(1);
    }
}
