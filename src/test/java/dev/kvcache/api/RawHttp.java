package dev.kvcache.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

import static dev.kvcache.api.PropertyRunner.escape;

/**
 * HTTP over a plain socket, for the requests of {@link ApiPropertyTests} that a proper client refuses to send,
 * and for the answers of a server that closes before it has read the whole request.
 */
final class RawHttp {

    private final int port;

    RawHttp(int port) {
        this.port = port;
    }

    record RawResponse(int status, String head, String body) {

        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    /**
     * Sends the request as it is (each character one byte) over a new connection and reads the answer until the
     * server closes it. A server that refuses a request may answer and close before it has read all of it; the
     * answer counts if it arrived.
     */
    RawResponse send(String request) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            try {
                socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
            }
            catch (SocketException ex) {
                // Answered and closed early: read what was sent.
            }
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    received.write(buffer, 0, n);
                }
            }
            catch (SocketException ex) {
                if (received.size() == 0) {
                    throw new AssertionError("the connection was reset without an answer", ex);
                }
            }
            String response = received.toString(StandardCharsets.ISO_8859_1);
            int bodyStart = response.indexOf("\r\n\r\n");
            if (!response.startsWith("HTTP/1.1 ") || bodyStart < 0) {
                throw new AssertionError("no HTTP answer: " + escape(response.substring(0,
                        Math.min(200, response.length()))));
            }
            return new RawResponse(Integer.parseInt(response.substring(9, 12)), response.substring(0, bodyStart),
                    new String(response.substring(bodyStart + 4).getBytes(StandardCharsets.ISO_8859_1),
                            StandardCharsets.UTF_8));
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
