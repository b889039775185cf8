package dev.kvcache.cluster;

import dev.kvcache.cache.MemoryBudget;
import dev.kvcache.system.ReadinessGate;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.health.application.ReadinessStateHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Cluster mode ({@code kvcache.mode=cluster}): the entries in an Infinispan cache shared by every member, the
 * readiness probe tied to the cluster's safety, and the cluster's size as a metric.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "kvcache.mode", havingValue = "cluster")
class ClusterConfiguration {

    @Bean(destroyMethod = "close")
    InfinispanStore infinispanStore(ClusterProperties cluster, MemoryBudget budget) {
        return new InfinispanStore(cluster, budget.effective());
    }

    /**
     * Readiness is DOWN until the member has joined and every entry has its backups, and again while
     * the cluster rebalances after a member comes or goes: a load balancer then sends requests elsewhere.
     * Replaces Boot's indicator of the same name, so the readiness group needs no change.
     */
    @Bean
    ReadinessStateHealthIndicator readinessStateHealthIndicator(ApplicationAvailability availability,
            InfinispanStore store) {
        return new ReadinessGate(availability, store::safe);
    }

    @Bean
    MeterBinder clusterMetrics(InfinispanStore store) {
        return registry -> Gauge.builder("cache.cluster.members", store, InfinispanStore::members)
                .tag("cache", "kv")
                .description("Members in the cluster, as this member sees it")
                .register(registry);
    }
}
