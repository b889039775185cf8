package dev.kvcache.snapshot;

import java.io.IOException;

/** Whatever holds segments to snapshot, e.g. the store, which hands each one to the sink. */
@FunctionalInterface
public interface SegmentSource {

    void writeTo(SegmentSink sink) throws IOException;
}
