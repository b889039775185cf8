package dev.kvcache.snapshot;

import java.io.IOException;

/** Whatever holds the entries to snapshot, e.g. the store, which hands each live entry to the sink. */
@FunctionalInterface
public interface EntrySource {

    void writeTo(EntrySink sink) throws IOException;
}
