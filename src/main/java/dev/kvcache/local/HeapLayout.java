package dev.kvcache.local;

import dev.kvcache.cache.JvmFlags;

/**
 * Object sizes on the running HotSpot JVM, read from its flags, so that an entry's weight is its real
 * retained heap whether or not compressed oops or compact object headers (JDK 24+) are on.
 * {@code EntryWeigherTests} checks these figures against JOL's measurement of the real objects.
 */
record HeapLayout(int objectHeader, int arrayHeader, int reference, int alignment) {

    /** The layout of this JVM; falls back to the common 64-bit layout when the flags cannot be read. */
    static HeapLayout current() {
        boolean compactHeaders = JvmFlags.value("UseCompactObjectHeaders", "false").equals("true");
        boolean compressedOops = JvmFlags.value("UseCompressedOops", "true").equals("true");
        boolean compressedClassPointers = JvmFlags.value("UseCompressedClassPointers", "true").equals("true");
        int alignment = Integer.parseInt(JvmFlags.value("ObjectAlignmentInBytes", "8"));
        int header = compactHeaders ? 8 : (compressedClassPointers ? 12 : 16);
        return new HeapLayout(header, header + 4, compressedOops ? 4 : 8, alignment);
    }

    /** Heap bytes of a {@code byte[]} of the given length. */
    long byteArray(int length) {
        return align(arrayHeader + (long) length);
    }

    /** Shallow size of an object with the given number of reference fields and bytes of primitive fields. */
    long object(int references, int primitiveBytes) {
        return align(objectHeader + (long) references * reference + primitiveBytes);
    }

    private long align(long size) {
        return (size + alignment - 1) / alignment * alignment;
    }
}
