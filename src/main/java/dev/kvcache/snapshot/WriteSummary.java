package dev.kvcache.snapshot;

import java.nio.file.Path;

/**
 * What a snapshot holds once it is on disk under its real name.
 *
 * @param file the snapshot
 * @param entries entries written
 * @param entryBytes their keys' and values' bytes
 * @param fileBytes the file's size
 * @param blocks blocks of entries in the file
 */
public record WriteSummary(Path file, long entries, long entryBytes, long fileBytes, long blocks) {
}
