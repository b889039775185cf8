package dev.kvcache.cluster;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import dev.kvcache.cache.EntryStore;
import dev.kvcache.local.segment.PackedAscii;
import org.infinispan.AdvancedCache;
import org.infinispan.commons.dataconversion.MediaType;
import org.infinispan.configuration.cache.CacheMode;
import org.infinispan.configuration.cache.Configuration;
import org.infinispan.configuration.cache.ConfigurationBuilder;
import org.infinispan.configuration.cache.StorageType;
import org.infinispan.configuration.global.GlobalConfiguration;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.configuration.global.ShutdownHookBehavior;
import org.infinispan.container.impl.InternalDataContainer;
import org.infinispan.context.Flag;
import org.infinispan.distribution.LocalizedCacheTopology;
import org.infinispan.distribution.ch.ConsistentHash;
import org.infinispan.eviction.EvictionStrategy;
import org.infinispan.factories.ComponentRegistry;
import org.infinispan.lifecycle.ComponentStatus;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachelistener.annotation.CacheEntriesEvicted;
import org.infinispan.notifications.cachelistener.annotation.CacheEntryExpired;
import org.infinispan.notifications.cachelistener.event.CacheEntriesEvictedEvent;
import org.infinispan.notifications.cachelistener.event.CacheEntryExpiredEvent;
import org.infinispan.partitionhandling.AvailabilityMode;
import org.infinispan.remoting.transport.Address;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;
import org.infinispan.topology.CacheTopology;
import org.jgroups.JChannel;

/**
 * Cluster mode's store: this JVM embeds an Infinispan member, and all members share one distributed cache. Each
 * entry lives on {@code backupCount + 1} members (its segment's owners), written synchronously: a put answers once
 * every owner has it. The entries, keys and values both (packed at 7 bits a character), are kept off the heap in
 * native memory, at most {@code budgetBytes} of it on this member (backups included), least recently used out
 * first. The member talks only to the peers it is given ({@link MemberChannel}).
 */
public final class InfinispanStore implements EntryStore, AutoCloseable {

    static final String CACHE = "kv";

    private final DefaultCacheManager manager;
    private final AdvancedCache<byte[], byte[]> cache;
    /** Puts that do not fetch the old value from its owner: nobody reads it. */
    private final AdvancedCache<byte[], byte[]> writer;
    private final InternalDataContainer<?, ?> container;
    private final int owners;
    private final long budgetBytes;
    private final Removals removals = new Removals();

    /**
     * Starts the member and joins the cluster; returns once this member has its share of the entries.
     *
     * @param cluster members, addresses, backups
     * @param budgetBytes native memory this member's entries may take, backups included
     */
    public InfinispanStore(ClusterProperties cluster, long budgetBytes) {
        this.budgetBytes = budgetBytes;
        this.owners = cluster.backupCount() + 1;
        this.manager = new DefaultCacheManager(globalConfiguration(cluster), false);
        manager.defineConfiguration(CACHE, cacheConfiguration(cluster, budgetBytes));
        manager.start();
        this.cache = manager.<byte[], byte[]>getCache(CACHE).getAdvancedCache();
        this.writer = cache.withFlags(Flag.IGNORE_RETURN_VALUES);
        this.container = ComponentRegistry.componentOf(cache, InternalDataContainer.class);
        cache.addListener(removals);
    }

    static GlobalConfiguration globalConfiguration(ClusterProperties cluster) {
        GlobalConfigurationBuilder global = new GlobalConfigurationBuilder();
        global.transport().defaultTransport().clusterName(cluster.name())
                .addProperty(JGroupsTransport.CHANNEL_CONFIGURATOR, MemberChannel.configurator(cluster));
        global.jmx().enabled(false);
        global.metrics().gauges(false).histograms(false);
        global.cacheContainer().statistics(false);
        // The member stops when the application does, through Spring's lifecycle, not a hook of its own.
        global.shutdown().hookBehavior(ShutdownHookBehavior.DONT_REGISTER);
        return global.build();
    }

    static Configuration cacheConfiguration(ClusterProperties cluster, long budgetBytes) {
        ConfigurationBuilder cache = new ConfigurationBuilder();
        cache.clustering().cacheMode(CacheMode.DIST_SYNC).hash().numOwners(cluster.backupCount() + 1);
        // Keys and values are the requests' ASCII bytes, stored as they are: no marshalling, no object per entry.
        cache.encoding().mediaType(MediaType.APPLICATION_OCTET_STREAM_TYPE);
        cache.memory().storage(StorageType.OFF_HEAP).maxSize(Long.toString(budgetBytes))
                .whenFull(EvictionStrategy.REMOVE);
        cache.statistics().enabled(false);
        // No reaper: every minute it would walk every entry this member owns, each copied onto the heap to look at
        // its lifespan (millions in a full member). An expired entry is never served (reads check the lifespan)
        // and leaves when read, deleted, or evicted as the least recently used.
        cache.expiration().wakeUpInterval(-1);
        return cache.build();
    }

    /**
     * Each put carries its own lifespan, which Infinispan keeps to the millisecond with the write's time and checks
     * at every read: an entry is never served after it, nor taken away before it.
     */
    @Override
    public void put(String key, String value, long ttlNanos) {
        long lifespanMillis = ttlNanos == 0 ? -1 : Math.max(1, (ttlNanos + 999_999) / 1_000_000);
        writer.put(packed(key), packed(value), lifespanMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public String get(String key) {
        byte[] value = cache.get(packed(key));
        return value == null ? null
                : new String(PackedAscii.unpack(value, 0, value.length), StandardCharsets.ISO_8859_1);
    }

    @Override
    public boolean delete(String key) {
        return cache.remove(packed(key)) != null;
    }

    /**
     * ASCII (checked by the caller) at 7 bits a character, as local mode stores it: a 256/256 entry's key and value
     * take 450 bytes instead of 512 on every owner and on the wire. Equal texts pack into equal bytes, so keys hash
     * and compare on their packed form, and every member packs alike.
     */
    static byte[] packed(String text) {
        byte[] ascii = text.getBytes(StandardCharsets.ISO_8859_1);
        byte[] packed = new byte[PackedAscii.packedLength(ascii.length)];
        PackedAscii.pack(ascii, packed, 0);
        return packed;
    }

    /** Entries in the segments this member is the primary owner of (backups not counted). */
    @Override
    public long size() {
        return container.sizeIncludingExpired(cache.getDistributionManager().getCacheTopology().getLocalPrimarySegments());
    }

    /** Native memory the entries this member holds take, backups included, as Infinispan counts it. */
    @Override
    public long usedBytes() {
        return container.evictionSize();
    }

    @Override
    public long budgetBytes() {
        return budgetBytes;
    }

    @Override
    public long evictionCount() {
        return removals.evicted.sum() + removals.expired.sum();
    }

    @Override
    public long expirationCount() {
        return removals.expired.sum();
    }

    /** Members in the cluster, as this member sees it. */
    public int members() {
        List<Address> members = manager.getMembers();
        return members == null ? 0 : members.size();
    }

    /**
     * Joined, and every segment has all its owners with no rebalance under way: losing {@code backupCount}
     * members now loses nothing.
     */
    public boolean safe() {
        if (cache.getStatus() != ComponentStatus.RUNNING || cache.getAvailability() != AvailabilityMode.AVAILABLE) {
            return false;
        }
        LocalizedCacheTopology topology = cache.getDistributionManager().getCacheTopology();
        List<Address> view = manager.getMembers();
        if (topology.getPhase() != CacheTopology.Phase.NO_REBALANCE || view == null
                || !topology.getMembers().containsAll(view)) {
            return false;
        }
        ConsistentHash hash = topology.getWriteConsistentHash();
        int wanted = Math.min(owners, hash.getMembers().size());
        for (int segment = 0; segment < hash.getNumSegments(); segment++) {
            if (hash.locateOwnersForSegment(segment).size() < wanted) {
                return false;
            }
        }
        return true;
    }

    /** The JGroups channel this member talks over. */
    JChannel channel() {
        return ((JGroupsTransport) cache.getRpcManager().getTransport()).getChannel();
    }

    @Override
    public void close() {
        manager.stop();
    }

    /** Counts what leaves this member's memory: evicted for room, or expired (on this member's owners' side). */
    @Listener
    public static final class Removals {

        final LongAdder evicted = new LongAdder();
        final LongAdder expired = new LongAdder();

        @CacheEntriesEvicted
        public void onEvicted(CacheEntriesEvictedEvent<?, ?> event) {
            evicted.add(event.getEntries().size());
        }

        @CacheEntryExpired
        public void onExpired(CacheEntryExpiredEvent<?, ?> event) {
            if (!event.isPre()) {
                expired.increment();
            }
        }
    }
}
