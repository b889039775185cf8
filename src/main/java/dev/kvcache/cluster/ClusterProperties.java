package dev.kvcache.cluster;

import java.util.List;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Settings of cluster mode ({@code kvcache.mode=cluster}), bound from {@code kvcache.cluster.*}.
 *
 * @param members the other members to join over TCP, as {@code host:port} (or {@code host}, port 5701); this
 *     member's own address may be listed too, so that every member can share one list
 * @param bindAddress the address this member listens on and tells the others; empty picks one interface
 * @param port this member's port for the cluster protocol (and, for failure detection, this port + 100)
 * @param name the cluster's name: members with another name never join
 * @param backupCount synchronous backup copies of every entry on other members (0 to 6): a put answers once
 *     they are written, so losing that many members loses nothing
 */
@Validated
@ConfigurationProperties("kvcache.cluster")
public record ClusterProperties(
        @DefaultValue({}) List<String> members,
        @DefaultValue("") String bindAddress,
        @DefaultValue("5701") @Min(1) @Max(65535) int port,
        @DefaultValue("kv-cache") @NotBlank String name,
        @DefaultValue("1") @Min(0) @Max(6) int backupCount) {

    /** The cluster port of a member listed without one. */
    public static final int DEFAULT_PORT = 5701;

    public ClusterProperties {
        for (String member : members) {
            if (!member.matches("[A-Za-z0-9.\\-\\[\\]:]+(:\\d{1,5})?") || member.isBlank()) {
                throw new IllegalArgumentException(
                        "kvcache.cluster.members must be host:port entries separated by commas, found '" + member + "'");
            }
        }
    }
}
