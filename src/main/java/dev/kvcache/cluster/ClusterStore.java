package dev.kvcache.cluster;

import dev.kvcache.cache.EntryStore;

/** A member of a cluster of kv-cache instances: what cluster mode asks of it beside an {@link EntryStore}'s work. */
interface ClusterStore extends EntryStore, AutoCloseable {

    /** Members in the cluster, as this member sees it. */
    int members();

    /** Joined, and every entry has all its copies with no rebalance under way: losing backupCount members now loses nothing. */
    boolean safe();

    @Override
    void close();
}
