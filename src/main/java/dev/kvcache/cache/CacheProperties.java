package dev.kvcache.cache;

import java.time.Duration;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Settings of the cache, bound from {@code kvcache.*} (or {@code KVCACHE_*} environment variables).
 *
 * @param mode where entries live: {@code local} (this JVM's Caffeine cache) or {@code cluster} (members of
 *     a distributed engine sharing one cache, see {@code kvcache.cluster.*})
 * @param maxMemory budget for the memory the entries take: in local mode their segments, index and the policy's
 *     ghosts, all off the heap, cut to what the direct memory and the machine can hold (docs/memory.md); in
 *     cluster mode the native memory a member's entries and backups take
 * @param ttl time an entry lives after its last write, unless the put gives its own; {@code 0} disables expiry
 * @param maxTtl the longest time to live a put may give an entry (in whole seconds, at least 1)
 * @param cleanupInterval how often the cache runs its maintenance (expired entries also leave on their own)
 * @param maxKeyLength longest key accepted, in characters
 * @param maxValueLength longest value accepted, in characters
 */
@Validated
@ConfigurationProperties("kvcache")
public record CacheProperties(
        @DefaultValue("local") @NotNull Mode mode,
        @DefaultValue("1536MB") @NotNull DataSize maxMemory,
        @DefaultValue("5m") @NotNull Duration ttl,
        @DefaultValue("1d") @NotNull Duration maxTtl,
        @DefaultValue("1m") @NotNull Duration cleanupInterval,
        @DefaultValue("256") @Min(1) @Max(MAX_LENGTH) int maxKeyLength,
        @DefaultValue("256") @Min(0) @Max(MAX_LENGTH) int maxValueLength) {

    /** Where the entries live. */
    public enum Mode {
        LOCAL, CLUSTER
    }

    /** Upper bound for both length limits: keeps request bodies and entries small. */
    public static final int MAX_LENGTH = 65_536;

    public CacheProperties {
        // Bean Validation has no constraints for DataSize and Duration; these messages name the property.
        if (maxMemory != null && maxMemory.toBytes() <= 0) {
            throw new IllegalArgumentException("kvcache.max-memory must be greater than 0, was " + maxMemory);
        }
        if (ttl != null && ttl.isNegative()) {
            throw new IllegalArgumentException("kvcache.ttl must be 0 (no expiry) or positive, was " + ttl);
        }
        if (maxTtl != null && maxTtl.getSeconds() < 1) {
            throw new IllegalArgumentException("kvcache.max-ttl must be at least 1s, was " + maxTtl);
        }
        if (cleanupInterval != null && (cleanupInterval.isNegative() || cleanupInterval.isZero())) {
            throw new IllegalArgumentException("kvcache.cleanup-interval must be positive, was " + cleanupInterval);
        }
    }
}
