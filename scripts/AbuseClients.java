import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Abusive clients for scripts/abuse.sh, run as a single source file ({@code java scripts/AbuseClients.java ...},
 * JDK 17+, no build). Loopback only; every mode ends by itself and resets the connections it opened
 * (SO_LINGER 0, so no TIME_WAIT is left behind).
 *
 * <pre>
 *   slowloris PORT HEADER_CONNS BODY_CONNS SECONDS
 *       HEADER_CONNS connections send a request line and headers one byte a second, never finishing them;
 *       BODY_CONNS send whole headers of a POST /put with Content-Length 4000, then its body one byte a second.
 *       Prints "SLOWLORIS opened=.. failed_to_open=.. closed_by_server=.. bytes=.." at the end.
 *   flood PORT CONNECTIONS HOLD_SECONDS CONNECT_WAIT_MS
 *       Starts CONNECTIONS connects, 250 every 50 ms (a burst all at once would mostly overflow the kernel's
 *       queues rather than reach the server), and waits up to CONNECT_WAIT_MS more for them; prints
 *       "HELD connected=.. pending=.. failed=.." and holds them, sending nothing, for HOLD_SECONDS, counting
 *       those the server closes; prints "RELEASED closed_by_server=.." and resets them all.
 * </pre>
 */
public class AbuseClients {

    public static void main(String[] args) throws Exception {
        switch (args.length > 0 ? args[0] : "") {
            case "slowloris" -> slowloris(Integer.parseInt(args[1]), Integer.parseInt(args[2]),
                    Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            case "flood" -> flood(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                    Integer.parseInt(args[4]));
            default -> {
                System.err.println("usage: slowloris PORT HEADER_CONNS BODY_CONNS SECONDS"
                        + " | flood PORT CONNECTIONS HOLD_SECONDS CONNECT_WAIT_MS");
                System.exit(2);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private static void slowloris(int port, int headerConns, int bodyConns, int seconds) throws Exception {
        record Slow(Socket socket, OutputStream out, byte[] script, int[] next) {
        }
        List<Slow> slow = new ArrayList<>();
        int failedToOpen = 0;
        for (int i = 0; i < headerConns + bodyConns; i++) {
            boolean body = i >= headerConns;
            String head = body
                    ? "POST /put HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n"
                    : "GET /get?key=slowloris-" + i + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
            // What follows, one byte a second: a header value that never ends, or a body that never ends.
            String drip = body ? "{\"key\":\"slow-" + i + "\",\"value\":\"" + "v".repeat(3900) : "a".repeat(100_000);
            try {
                Socket socket = new Socket();
                socket.setSoLinger(true, 0);
                socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                OutputStream out = socket.getOutputStream();
                // The first bytes of the request line, then the rest a byte at a time: the server never has a
                // whole request line (header mode) or a whole body (body mode).
                int start = body ? head.length() : 5;
                out.write(head.substring(0, start).getBytes(StandardCharsets.US_ASCII));
                out.flush();
                slow.add(new Slow(socket, out, (head.substring(start) + drip).getBytes(StandardCharsets.US_ASCII),
                        new int[] { 0 }));
            }
            catch (IOException ex) {
                failedToOpen++;
            }
        }
        line("OPENED %d failed_to_open=%d%n", slow.size(), failedToOpen);
        System.out.flush();
        long bytes = 0;
        int closed = 0;
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            long tick = System.nanoTime();
            for (int i = 0; i < slow.size(); i++) {
                Slow s = slow.get(i);
                if (s.socket().isClosed()) {
                    continue;
                }
                try {
                    s.out().write(s.script()[s.next()[0]++ % s.script().length]);
                    s.out().flush();
                    bytes++;
                }
                catch (IOException ex) { // the server closed it (a reset answers the write)
                    closed++;
                    s.socket().close();
                }
                // Spread the connections' bytes over the second rather than sending them in one burst.
                long due = tick + 1_000_000_000L * (i + 1L) / slow.size();
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
        }
        // A connection the server closed without our noticing yet (no reset seen) shows as readable EOF.
        for (Slow s : slow) {
            if (!s.socket().isClosed()) {
                try {
                    s.socket().setSoTimeout(1);
                    if (s.socket().getInputStream().read() == -1) {
                        closed++;
                    }
                }
                catch (java.net.SocketTimeoutException ex) {
                    // still open, as expected
                }
                catch (IOException ex) {
                    closed++;
                }
                s.socket().close();
            }
        }
        line("SLOWLORIS opened=%d failed_to_open=%d closed_by_server=%d bytes=%d%n", slow.size(),
                failedToOpen, closed, bytes);
    }

    // ---------------------------------------------------------------------------------------------------------

    private static void flood(int port, int connections, int holdSeconds, int connectWaitMillis) throws Exception {
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        List<SocketChannel> channels = new ArrayList<>(connections);
        int connected = 0;
        int failed = 0;
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < connections; i++) {
                SocketChannel channel;
                try {
                    channel = SocketChannel.open();
                }
                catch (IOException ex) { // out of file descriptors on our side: count it, stop opening
                    failed += connections - i;
                    System.err.println("flood: cannot open more sockets: " + ex.getMessage());
                    break;
                }
                if (i > 0 && i % 250 == 0) {
                    Thread.sleep(50);
                }
                channels.add(channel);
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.SO_LINGER, 0);
                try {
                    if (channel.connect(address)) {
                        connected++;
                        channel.register(selector, SelectionKey.OP_READ);
                    }
                    else {
                        channel.register(selector, SelectionKey.OP_CONNECT);
                    }
                }
                catch (IOException ex) {
                    failed++;
                    channel.close();
                }
            }
            long deadline = System.nanoTime() + connectWaitMillis * 1_000_000L;
            int closedByServer = 0;
            ByteBuffer sink = ByteBuffer.allocate(1024);
            while (connected + failed < channels.size() && System.nanoTime() < deadline) {
                selector.select(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext();) {
                    SelectionKey key = it.next();
                    it.remove();
                    SocketChannel channel = (SocketChannel) key.channel();
                    if (key.isConnectable()) {
                        try {
                            channel.finishConnect();
                            connected++;
                            key.interestOps(SelectionKey.OP_READ);
                        }
                        catch (IOException ex) {
                            failed++;
                            key.cancel();
                            channel.close();
                        }
                    }
                    else if (key.isReadable()) {
                        closedByServer += readEnd(key, channel, sink);
                    }
                }
            }
            int pending = channels.size() - connected - failed;
            line("HELD connected=%d pending=%d failed=%d%n", connected, pending, failed);
            System.out.flush();
            long end = System.nanoTime() + holdSeconds * 1_000_000_000L;
            while (System.nanoTime() < end) {
                selector.select(Math.max(1, (end - System.nanoTime()) / 1_000_000));
                for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext();) {
                    SelectionKey key = it.next();
                    it.remove();
                    SocketChannel channel = (SocketChannel) key.channel();
                    if (key.isValid() && key.isConnectable()) {
                        try {
                            channel.finishConnect();
                            key.interestOps(SelectionKey.OP_READ);
                        }
                        catch (IOException ex) {
                            key.cancel();
                            channel.close();
                        }
                    }
                    else if (key.isValid() && key.isReadable()) {
                        closedByServer += readEnd(key, channel, sink);
                    }
                }
            }
            line("RELEASED closed_by_server=%d%n", closedByServer);
        }
        finally {
            for (SocketChannel channel : channels) {
                try {
                    channel.close(); // SO_LINGER 0: a reset, no TIME_WAIT
                }
                catch (IOException ex) {
                    // closing anyway
                }
            }
        }
    }

    /** 1 if the server closed the connection (EOF or reset), else 0 after draining what it sent. */
    private static int readEnd(SelectionKey key, SocketChannel channel, ByteBuffer sink) {
        try {
            sink.clear();
            if (channel.read(sink) >= 0) {
                return 0;
            }
        }
        catch (IOException ex) {
            // reset by the server
        }
        key.cancel();
        try {
            channel.close();
        }
        catch (IOException ex) {
            // closed anyway
        }
        return 1;
    }

    /** One line in one write, flushed: the script polls this output and must never read half a line. */
    private static void line(String format, Object... args) {
        System.out.print(String.format(format, args));
        System.out.flush();
    }
}
