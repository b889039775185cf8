package dev.kvcache.snapshot;

/**
 * Which entries of a snapshot fit a budget: the most recently written ones, those with a write order of at
 * least {@link #minWriteOrder()}. Entries that share a write order are kept or left out together.
 *
 * @param minWriteOrder the oldest write order kept; {@link Long#MIN_VALUE} when everything fits
 * @param maxWriteOrder the newest write order of a live entry; {@link Long#MIN_VALUE} when there is none
 * @param keptEntries live entries kept
 * @param keptWeight their weight, at most the budget
 * @param leftOutEntries live entries that did not fit
 * @param leftOutWeight their weight
 * @param scan how the pass over the file ended: the cutoff covers only the entries it delivered
 */
public record LoadCutoff(long minWriteOrder, long maxWriteOrder, long keptEntries, long keptWeight, long leftOutEntries,
        long leftOutWeight, ReadResult scan) {

    /** Whether an entry of this write order is kept. */
    public boolean keeps(long writeOrder) {
        return keptEntries > 0 && writeOrder >= minWriteOrder;
    }
}
