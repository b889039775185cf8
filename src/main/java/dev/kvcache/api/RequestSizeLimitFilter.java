package dev.kvcache.api;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses request bodies over a limit with 413, without reading them whole (a declared {@code Content-Length} over
 * the limit is refused before a byte is read, and a chunked body as soon as it passes the limit), and reads the
 * bodies it lets through here, before the rest of the chain: a client that sends its body slowly then keeps a
 * request (a parked virtual thread) waiting with this filter's few frames on its stack, not Spring MVC's and the
 * JSON parser's, so that hundreds of slow clients cost the heap little.
 */
class RequestSizeLimitFilter extends OncePerRequestFilter {

    private final int maxBytes;

    RequestSizeLimitFilter(long maxBytes) {
        this.maxBytes = (int) Math.min(Integer.MAX_VALUE - 1, maxBytes);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long declared = request.getContentLengthLong(); // -1 if not declared (chunked, or no body at all)
        if (declared > maxBytes) {
            tooLarge(response);
            return;
        }
        byte[] body = readUpTo(request.getInputStream(), declared >= 0 ? (int) declared : maxBytes + 1);
        if (body.length > maxBytes) {
            tooLarge(response);
            return;
        }
        chain.doFilter(new ReadRequest(request, body), response);
    }

    private void tooLarge(HttpServletResponse response) throws IOException {
        // Rendered as JSON by JsonErrorController, like every error raised outside a controller.
        response.sendError(HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                new PayloadTooLargeException(maxBytes).getMessage());
    }

    /** The stream's bytes, at most {@code limit} of them (fewer if it ends first). */
    private static byte[] readUpTo(InputStream in, int limit) throws IOException {
        byte[] bytes = new byte[Math.min(limit, 8192)];
        int length = 0;
        while (length < limit) {
            if (length == bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.min(limit, bytes.length * 2));
            }
            int read = in.read(bytes, length, bytes.length - length);
            if (read < 0) {
                break;
            }
            length += read;
        }
        return length == bytes.length ? bytes : Arrays.copyOf(bytes, length);
    }

    /** The request with its body read: the stream serves the bytes read. */
    private static final class ReadRequest extends HttpServletRequestWrapper {

        private final ServletInputStream stream;

        ReadRequest(HttpServletRequest request, byte[] body) {
            super(request);
            this.stream = new BytesInputStream(body);
        }

        @Override
        public ServletInputStream getInputStream() {
            return stream;
        }
    }

    private static final class BytesInputStream extends ServletInputStream {

        private final ByteArrayInputStream in;

        BytesInputStream(byte[] body) {
            this.in = new ByteArrayInputStream(body);
        }

        @Override
        public int read() {
            return in.read();
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            return in.read(buffer, offset, length);
        }

        @Override
        public boolean isFinished() {
            return in.available() == 0;
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setReadListener(ReadListener listener) {
            throw new IllegalStateException("the body is read already");
        }
    }
}
