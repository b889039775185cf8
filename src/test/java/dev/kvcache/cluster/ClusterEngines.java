package dev.kvcache.cluster;

import java.util.ArrayList;
import java.util.List;

/**
 * The engine the cluster's integration tests run their members on: the application's default, or the one
 * {@code -Dkvcache.cluster.engine=infinispan|hazelcast} names ({@code ./mvnw verify -Dkvcache.cluster.engine=...};
 * the build passes Maven's {@code -D} properties to the tests), so that every engine meets the same tests.
 */
final class ClusterEngines {

    static final String PROPERTY = "kvcache.cluster.engine";

    private ClusterEngines() {
    }

    /** The members' arguments, with the engine's when one is named. */
    static String[] withEngine(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        String engine = System.getProperty(PROPERTY, "");
        if (!engine.isBlank()) {
            all.add("--" + PROPERTY + "=" + engine);
        }
        return all.toArray(String[]::new);
    }
}
