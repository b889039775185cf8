/**
 * Snapshots of the cache's entries in a file, for a warm restart. Plain Java: no Spring, and nothing
 * from the store, so that the store can call it. {@link dev.kvcache.snapshot.Snapshots} is the entry point.
 *
 * <h2>File format, version 2</h2>
 * All integers are little-endian; CRC32C is {@link java.util.zip.CRC32C}.
 * <pre>
 * file    = header frame* trailer
 * header  = magic[8] version:u32 createdAtEpochMillis:i64 crc:u32              24 bytes, crc over bytes 0..19
 *           magic = 0x89 'K' 'V' 'S' 'N' 'A' 'P' '\n'
 * frame   = crc:u32 kind:u32 length:u32 count:u32 body[length]             crc over kind .. end of body
 * block   = frame of kind 1: count entries in body, length at most 1 MiB
 * segment = frame of kind 3: count segment entries in body, after 16 bytes of its own:
 *           kind:u8 ttlClass:u8 0:u16 0:u32 lastMark:i64               the store's kind (0 young, 1 main),
 *                                                                     TTL class and newest write mark
 *           length at most 16 MiB + 16
 * trailer = frame of kind 2: count = blocks and segments in the file,
 *           body = entries:i64 entryBytes:i64                              32 bytes in all, then end of file
 *           entryBytes: of blocks, the keys' and values' bytes; of segments, their entries' bytes
 * entry   = keyLength:u32 valueLength:u32 expiresAtEpochMillis:i64 writeMark:i64 key[keyLength] value[valueLength]
 *           lengths at most 65,536; expiresAtEpochMillis 0 = never; a larger writeMark was written later
 * segment entry = keyLength:u16 valueLength:u16 expiresAtEpochMillis:i64 key[keyLength] value[valueLength]
 *           padding to a multiple of 8 bytes; key and value packed, 8 ASCII characters in 7 bytes and a byte
 *           for the length's remainder (1 to 57,345 bytes each): an entry as the store lays it out in a segment
 *           (dev.kvcache.local.segment.EntryLayout), its expiry as a Unix time; 0 = never
 * </pre>
 * Version 1 is the same without segments; a reader reads both, and names any other version it meets. The store
 * writes segments only (blocks are what a version 1 file holds, and what tests write).
 * <p>
 * The magic number starts with a byte above 0x7F (a text file never does) and ends with a line feed (a text
 * transfer mangles it). The header's layout stays the same in every version, so that a reader can tell an
 * incompatible version from a damaged header. A file is complete only with its trailer, which counts what came
 * before it: a file cut at a frame boundary, or missing a frame, is detected too.
 * <p>
 * A reader checks each frame's checksum, and that its entries add up to its length, before it hands out any
 * entry of it; it stops at the first defect. The file is written under a temporary name, forced to disk and
 * then renamed over the previous snapshot, so the real name only ever holds a complete file.
 *
 * <h2>Files in the directory</h2>
 * {@code kv-cache.snapshot} the snapshot; {@code kv-cache.snapshot.tmp} the one being written (a crash's leftover
 * is replaced by the next write, never read); {@code kv-cache.snapshot.lock} locked while a snapshot is written;
 * {@code kv-cache.snapshot.corrupt-<UTC time>} a bad snapshot set aside, kept for a post-mortem.
 */
package dev.kvcache.snapshot;
