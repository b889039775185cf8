package dev.kvcache.cache;

import java.lang.management.ManagementFactory;

import com.sun.management.HotSpotDiagnosticMXBean;

/** The running HotSpot JVM's flags, which size the budget's rooms and the entries' objects. */
public final class JvmFlags {

    private JvmFlags() {
    }

    /** A flag's value, or the fallback when it cannot be read (an unknown flag on this JDK, or not HotSpot). */
    public static String value(String name, String fallback) {
        try {
            return ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption(name).getValue();
        }
        catch (RuntimeException | LinkageError ex) {
            return fallback;
        }
    }
}
