package dev.kvcache.snapshot;

import java.nio.file.Path;

/**
 * How a read ended, and what it delivered: only entries of blocks whose checksum verified.
 *
 * @param file the file read
 * @param status whether the file was complete, absent or defective
 * @param entries entries delivered
 * @param entryBytes their keys' and values' bytes
 * @param blocks blocks delivered
 * @param createdAtEpochMillis when the snapshot was written, from its header; 0 if the header did not verify
 * @param problem why the read stopped early, naming the defect and where; null when complete
 */
public record ReadResult(Path file, Status status, long entries, long entryBytes, long blocks,
        long createdAtEpochMillis, String problem) {

    /** How a read ended. */
    public enum Status {
        /** Every block and the trailer verified: the whole snapshot was delivered. */
        COMPLETE,
        /** There is no snapshot: nothing to load, nothing to move aside. */
        MISSING,
        /** The file is damaged, cut short, of another version, not a snapshot, or unreadable: move it aside. */
        DEFECTIVE
    }

    public boolean complete() {
        return status == Status.COMPLETE;
    }

    public boolean defective() {
        return status == Status.DEFECTIVE;
    }

    @Override
    public String toString() {
        String delivered = entries + " entries (" + entryBytes + " bytes) in " + blocks + " blocks";
        return switch (status) {
            case COMPLETE -> file + ": complete, " + delivered;
            case MISSING -> file + ": no snapshot";
            case DEFECTIVE -> file + ": " + problem + "; delivered the " + delivered + " verified before";
        };
    }
}
