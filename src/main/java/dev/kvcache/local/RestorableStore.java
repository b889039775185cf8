package dev.kvcache.local;

import java.io.IOException;

import dev.kvcache.snapshot.EntrySink;

/** What {@link WarmRestart} needs of a local store: its entries written out, and entries put back. */
interface RestorableStore {

    /**
     * Hands every live entry to the sink while the store goes on serving (an entry written meanwhile may or may not
     * be in); none is ever written torn.
     */
    void writeEntriesTo(EntrySink sink) throws IOException;

    /** The bytes an entry of these lengths takes, as the store counts it. */
    int weigh(int keyLength, int valueLength);

    /** What the store can take in without evicting anything, for restoring a snapshot into an empty store. */
    long restorableBytes();

    /** Prepares for restoring entries written up to {@code maxWriteMark}: later writes come after them. */
    void beforeRestoring(long maxWriteMark);

    /**
     * Restores an entry read from a snapshot, unless the key was written since the store started (newer).
     *
     * @param expiresAtEpochMillis when it expires; 0 for never (an entry already expired is the caller's to skip)
     */
    void restore(byte[] keyAscii, byte[] valueAscii, long expiresAtEpochMillis, long writeMark);
}
