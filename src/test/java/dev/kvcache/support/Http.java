package dev.kvcache.support;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.IntSupplier;

/** A small client for the service under test, over real HTTP on loopback. */
public final class Http {

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    /** The server's port, asked for at each request: a client made before the server started (a bean) works. */
    private final IntSupplier port;

    public Http(int port) {
        this(() -> port);
    }

    public Http(IntSupplier port) {
        this.port = port;
    }

    public HttpResponse<String> put(String key, String value) {
        return postJson("{\"key\":" + json(key) + ",\"value\":" + json(value) + "}");
    }

    /** A put with its own time to live, written as given ({@code 10}, {@code 1.5}, {@code "10"}, ...). */
    public HttpResponse<String> put(String key, String value, String ttlJson) {
        return postJson("{\"key\":" + json(key) + ",\"value\":" + json(value) + ",\"ttl\":" + ttlJson + "}");
    }

    public HttpResponse<String> deleteKey(String key) {
        return send(request("/delete?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8)).DELETE().build());
    }

    public HttpResponse<String> postJson(String body) {
        return post("/put", "application/json", BodyPublishers.ofString(body));
    }

    /** Sends the body chunked, without a Content-Length. */
    public HttpResponse<String> postChunked(String contentType, byte[] body) {
        return post("/put", contentType, BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)));
    }

    public HttpResponse<String> post(String path, String contentType, BodyPublisher body) {
        HttpRequest.Builder request = request(path).POST(body);
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return send(request.build());
    }

    public HttpResponse<String> getKey(String key) {
        return get("/get?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8));
    }

    public HttpResponse<String> get(String pathAndQuery) {
        return send(request(pathAndQuery).GET().build());
    }

    public HttpResponse<String> send(String method, String path, String accept) {
        HttpRequest.Builder request = request(path).method(method, BodyPublishers.noBody());
        if (accept != null) {
            request.header("Accept", accept);
        }
        return send(request.build());
    }

    public HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port.getAsInt() + pathAndQuery))
                .timeout(Duration.ofSeconds(10));
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return CLIENT.send(request, BodyHandlers.ofString(StandardCharsets.UTF_8));
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Sends the request line and headers exactly as given (for what a proper client refuses to send), over
     * HTTP/1.0 so that the answer comes unchunked and the connection closes after it.
     */
    public RawResponse raw(String requestLine, String... headers) {
        StringBuilder request = new StringBuilder(requestLine).append(" HTTP/1.0\r\n");
        for (String header : headers) {
            request.append(header).append("\r\n");
        }
        return rawRequest(request.append("\r\n").toString());
    }

    /** Sends the whole request as given, byte for byte, and reads the answer until the server closes. */
    public RawResponse rawRequest(String request) {
        try (Socket socket = new Socket("127.0.0.1", port.getAsInt())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            int status = Integer.parseInt(response.substring(9, 12));
            int bodyStart = response.indexOf("\r\n\r\n");
            return new RawResponse(status, response.substring(0, bodyStart), response.substring(bodyStart + 4));
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    public record RawResponse(int status, String head, String body) {
    }

    /** A JSON string literal, escaping what JSON requires and nothing else. */
    public static String json(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    }
                    else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
