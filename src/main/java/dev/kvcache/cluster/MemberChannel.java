package dev.kvcache.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.infinispan.remoting.transport.jgroups.AbstractJGroupsChannelConfigurator;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;
import org.jgroups.JChannel;
import org.jgroups.conf.ProtocolConfiguration;
import org.jgroups.conf.XmlConfigurator;

/**
 * The JGroups channel a member talks to the others over: Infinispan's own TCP stack, tuned by its authors, with one
 * change of substance: members are found by TCPPING, which asks exactly the listed hosts, instead of MPING's
 * multicast. So a member sends nothing to anyone but the peers it is given (JGroups' diagnostics, which would
 * listen for multicast probes, stay off as Infinispan's stack has them). Failure detection (FD_SOCK2) listens on the
 * cluster port + 100 besides the cluster port itself. Infinispan builds the channel from this configurator when the
 * member starts ({@link JGroupsTransport#CHANNEL_CONFIGURATOR}).
 */
final class MemberChannel extends AbstractJGroupsChannelConfigurator {

    /** Infinispan's stack for TCP, the one it uses when given no other (in infinispan-core). */
    static final String INFINISPAN_TCP_STACK = "org/infinispan/configuration/default-jgroups-tcp.xml";

    /** JGroups' default offset of FD_SOCK2's port from the cluster port (Infinispan's, 50,000, overflows ports). */
    static final int FAILURE_DETECTION_OFFSET = 100;

    private final List<ProtocolConfiguration> stack;

    private MemberChannel(List<ProtocolConfiguration> stack) {
        this.stack = stack;
    }

    /** The channel as a member gets it, not yet connected (tests). */
    static JChannel create(ClusterProperties cluster) {
        try {
            return configurator(cluster).createChannel(cluster.name());
        }
        catch (Exception ex) {
            throw new IllegalStateException("Cannot set up the cluster's channel: " + ex.getMessage(), ex);
        }
    }

    @Override
    public String getName() {
        return "kv-cache-tcp";
    }

    @Override
    public JChannel createChannel(String name) throws Exception {
        return amendChannel(new JChannel(this));
    }

    @Override
    public String getProtocolStackString() {
        return stack.stream().map(ProtocolConfiguration::getProtocolString).collect(Collectors.joining(":"));
    }

    @Override
    public List<ProtocolConfiguration> getProtocolStack() {
        return stack;
    }

    /** Infinispan's TCP stack, with this member's address and port and TCPPING to the members for MPING. */
    static MemberChannel configurator(ClusterProperties cluster) {
        List<ProtocolConfiguration> infinispanStack;
        try {
            infinispanStack = infinispanTcpStack();
        }
        catch (Exception ex) {
            throw new IllegalStateException("Cannot read Infinispan's TCP stack: " + ex.getMessage(), ex);
        }
        List<ProtocolConfiguration> stack = new ArrayList<>();
        for (ProtocolConfiguration protocol : infinispanStack) {
            Map<String, String> properties = new HashMap<>(protocol.getProperties());
            switch (protocol.getProtocolName()) {
                case "TCP" -> {
                    properties.put("bind_port", Integer.toString(cluster.port()));
                    properties.put("port_range", "0"); // this port or none: the others look for it there
                    if (!cluster.bindAddress().isBlank()) {
                        properties.put("bind_addr", cluster.bindAddress());
                    }
                    stack.add(new ProtocolConfiguration("TCP", properties));
                }
                case "MPING" -> stack.add(new ProtocolConfiguration("TCPPING", Map.of(
                        "initial_hosts", initialHosts(cluster), "port_range", "0")));
                case "FD_SOCK2" -> {
                    properties.put("offset", Integer.toString(FAILURE_DETECTION_OFFSET));
                    stack.add(new ProtocolConfiguration("FD_SOCK2", properties));
                }
                default -> stack.add(protocol);
            }
        }
        return new MemberChannel(stack);
    }

    private static List<ProtocolConfiguration> infinispanTcpStack() throws Exception {
        try (InputStream xml = JGroupsTransport.class.getClassLoader().getResourceAsStream(INFINISPAN_TCP_STACK)) {
            if (xml == null) {
                throw new IOException(INFINISPAN_TCP_STACK + " is not on the class path");
            }
            return XmlConfigurator.getInstance(xml).getProtocolStack();
        }
    }

    /**
     * The members as TCPPING's {@code host[port]} list (a member listed without a port has the default, 5701).
     * Host names are resolved at each discovery until they resolve, so members may start before their peers' names
     * exist (a StatefulSet's pods).
     */
    static String initialHosts(ClusterProperties cluster) {
        return cluster.members().stream().map(MemberChannel::hostAndPort).collect(Collectors.joining(","));
    }

    /** {@code host:port}, {@code host}, {@code [v6]:port} or {@code [v6]} as {@code host[port]}. */
    private static String hostAndPort(String member) {
        String host = member;
        String port = Integer.toString(ClusterProperties.DEFAULT_PORT);
        int colon = member.lastIndexOf(':');
        if (member.startsWith("[")) {
            int end = member.indexOf(']');
            host = member.substring(1, end);
            if (colon > end) {
                port = member.substring(colon + 1);
            }
        }
        else if (colon > 0 && member.indexOf(':') == colon) {
            host = member.substring(0, colon);
            port = member.substring(colon + 1);
        }
        return host + "[" + port + "]";
    }
}
