package dev.kvcache.cluster;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import com.hazelcast.cluster.Cluster;
import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.LocalMapStats;

/**
 * Cluster mode's store: this JVM embeds a Hazelcast member, and all members share one distributed map. Each
 * entry lives on one member and, with {@code backupCount} > 0, as synchronous backups on others. The member
 * talks only to its configured peers: TCP join, no multicast, no auto-detection, no phone-home.
 */
public final class HazelcastStore implements ClusterStore {

    static final String MAP = "kv";

    /** Each stored value starts with its exact expiry time (see {@link #put}). */
    private static final int EXPIRY_BYTES = 8;

    private final HazelcastInstance member;
    private final IMap<String, byte[]> map;
    private final long budgetBytes;

    /**
     * @param cluster members, addresses, backups
     * @param ttl time an entry lives after its last write; zero for ever
     * @param budgetBytes this member's budget for the map, backups included (Hazelcast's estimate)
     */
    public HazelcastStore(ClusterProperties cluster, Duration ttl, long budgetBytes) {
        this.budgetBytes = budgetBytes;
        this.member = Hazelcast.newHazelcastInstance(config(cluster, ttl, budgetBytes));
        this.map = member.getMap(MAP);
    }

    static Config config(ClusterProperties cluster, Duration ttl, long budgetBytes) {
        Config config = new Config();
        config.setClusterName(cluster.name());
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        // Members shut down when the JVM does, through Spring's lifecycle, not a hook of their own.
        config.setProperty("hazelcast.shutdownhook.enabled", "false");

        NetworkConfig network = config.getNetworkConfig().setPort(cluster.port()).setPortAutoIncrement(false);
        if (!cluster.bindAddress().isBlank()) {
            config.setProperty("hazelcast.socket.bind.any", "false");
            network.getInterfaces().setEnabled(true).addInterface(cluster.bindAddress());
        }
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(cluster.members());

        MapConfig map = new MapConfig(MAP)
                .setBackupCount(cluster.backupCount())
                .setAsyncBackupCount(0)
                .setTimeToLiveSeconds(ttlSeconds(ttl))
                .setEvictionConfig(new EvictionConfig()
                        .setEvictionPolicy(EvictionPolicy.LRU)
                        .setMaxSizePolicy(MaxSizePolicy.USED_HEAP_SIZE)
                        .setSize((int) Math.max(1, budgetBytes / (1024 * 1024))));
        config.addMapConfig(map);
        return config;
    }

    /**
     * Hazelcast counts time to live in whole seconds, and 0 means for ever: a positive TTL is rounded up, so
     * that {@code kvcache.ttl=500ms} expires after a second rather than never.
     */
    static int ttlSeconds(Duration ttl) {
        long seconds = ttl.toSeconds() + (ttl.toNanosPart() > 0 ? 1 : 0);
        return (int) Math.min(Integer.MAX_VALUE, seconds);
    }

    /**
     * Stores the value's ASCII bytes after its exact expiry time (epoch milliseconds, 0 for never). Hazelcast
     * keeps expiry times in whole seconds, truncated, so that its own time to live would end an entry up to a
     * second early; it gets a second more than the entry's, and reads check the exact time (never an entry
     * served after it). {@code set}, not {@code put}: no old value sent back over the network.
     */
    @Override
    public void put(String key, String value, long ttlNanos) {
        long expiresAt = ttlNanos == 0 ? 0 : System.currentTimeMillis() + TimeUnit.NANOSECONDS.toMillis(ttlNanos);
        byte[] stored = new byte[EXPIRY_BYTES + value.length()];
        ByteBuffer.wrap(stored).putLong(expiresAt);
        for (int i = 0; i < value.length(); i++) {
            stored[EXPIRY_BYTES + i] = (byte) value.charAt(i); // ASCII: one byte a character
        }
        long hazelcastSeconds = ttlNanos == 0 ? 0 : ttlSeconds(Duration.ofNanos(ttlNanos)) + 1L;
        map.set(key, stored, hazelcastSeconds, TimeUnit.SECONDS);
    }

    @Override
    public boolean delete(String key) {
        return live(map.remove(key)) != null;
    }

    @Override
    public String get(String key) {
        byte[] stored = live(map.get(key));
        return stored == null ? null
                : new String(stored, EXPIRY_BYTES, stored.length - EXPIRY_BYTES, StandardCharsets.ISO_8859_1);
    }

    /** The stored bytes, or null when there are none or their expiry has come. */
    private static byte[] live(byte[] stored) {
        if (stored == null) {
            return null;
        }
        long expiresAt = ByteBuffer.wrap(stored).getLong();
        return expiresAt != 0 && expiresAt <= System.currentTimeMillis() ? null : stored;
    }

    /** Entries this member owns (backups not counted). */
    @Override
    public long size() {
        return map.getLocalMapStats().getOwnedEntryCount();
    }

    /** Hazelcast's estimate of the heap this member's owned and backup entries take. */
    @Override
    public long usedBytes() {
        LocalMapStats stats = map.getLocalMapStats();
        return stats.getOwnedEntryMemoryCost() + stats.getBackupEntryMemoryCost();
    }

    @Override
    public long budgetBytes() {
        return budgetBytes;
    }

    @Override
    public long evictionCount() {
        LocalMapStats stats = map.getLocalMapStats();
        return stats.getEvictionCount() + stats.getExpirationCount();
    }

    @Override
    public long expirationCount() {
        return map.getLocalMapStats().getExpirationCount();
    }

    Cluster cluster() {
        return member.getCluster();
    }

    @Override
    public int members() {
        return member.getCluster().getMembers().size();
    }

    /** Joined, and every partition has its backups: losing a member now loses nothing. */
    @Override
    public boolean safe() {
        return member.getLifecycleService().isRunning() && member.getPartitionService().isClusterSafe();
    }

    @Override
    public void close() {
        member.shutdown();
    }
}
