package dev.kvcache.snapshot;

/**
 * Which entries of a snapshot fit a budget: the most recently written ones, those with a write mark of at
 * least {@link #minWriteMark()}. Entries that share a write mark are kept or left out together.
 *
 * @param minWriteMark the oldest write mark kept; {@link Long#MIN_VALUE} when everything fits
 * @param maxWriteMark the newest write mark of a live entry; {@link Long#MIN_VALUE} when there is none
 * @param keptEntries live entries kept
 * @param keptWeight their weight, at most the budget
 * @param leftOutEntries live entries that did not fit
 * @param leftOutWeight their weight
 * @param scan how the pass over the file ended: the cutoff covers only the entries it delivered
 */
public record LoadCutoff(long minWriteMark, long maxWriteMark, long keptEntries, long keptWeight, long leftOutEntries,
        long leftOutWeight, ReadResult scan) {

    /** Whether an entry of this write mark is kept. */
    public boolean keeps(long writeMark) {
        return keptEntries > 0 && writeMark >= minWriteMark;
    }
}
