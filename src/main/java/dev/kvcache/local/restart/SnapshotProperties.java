package dev.kvcache.local.restart;

import java.time.Duration;

import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Warm restart in local mode, bound from {@code kvcache.snapshot.*} ({@code KVCACHE_SNAPSHOT_*}).
 *
 * @param dir where the snapshot ({@code kv-cache.snapshot}) is written at shutdown and read at start; blank or
 *     unset: no snapshots (the container image sets {@code /data})
 * @param interval how often a snapshot is also written while serving, bounding what a crash can lose; {@code 0}:
 *     only at shutdown
 */
@Validated
@ConfigurationProperties("kvcache.snapshot")
public record SnapshotProperties(@DefaultValue("") @NotNull String dir, @DefaultValue("0") @NotNull Duration interval) {

    public SnapshotProperties {
        if (interval != null && interval.isNegative()) {
            throw new IllegalArgumentException("kvcache.snapshot.interval must be 0 (only at shutdown) or positive, was "
                    + interval);
        }
    }

    public boolean enabled() {
        return !dir.isBlank();
    }
}
