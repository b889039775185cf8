package dev.kvcache.api;

import java.io.IOException;
import java.lang.reflect.Method;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.core.Ordered;
import org.springframework.http.MediaType;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerAdapter;
import org.springframework.web.servlet.HandlerExecutionChain;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.ModelAndView;

/**
 * The API's everyday requests, {@code GET /get}, {@code POST /put} with {@code Content-Type: application/json} and
 * {@code DELETE /delete}, handed to {@link CacheController}'s handlers by Spring MVC's dispatcher without its
 * annotation-driven adapter, which makes argument resolvers' lookups, a model container, a data binder factory,
 * request attributes and an async manager for every request only to call a method that takes the servlet
 * request and response; docs/performance.md ("Where the time goes") measures what that saves.
 *
 * <p>Only requests that match exactly take this way: the path as sent, the method, the media type as sent.
 * Everything else (HEAD, OPTIONS, a wrong method, another or a parameterised {@code Content-Type}, a path that
 * Tomcat or Spring would decode or normalise) finds no route here and goes to the annotated controller, so that
 * 405, 415 and 404 stay Spring's own. A route is a {@link HandlerMethod} of the controller, so that what a handler
 * throws reaches {@link ApiExceptionHandler} as it does from the annotated way.
 */
final class DirectRoutes implements HandlerMapping, Ordered {

    private final Route get;
    private final Route put;
    private final Route delete;

    DirectRoutes(CacheController controller) {
        this.get = new Route(controller, "get", controller::get, "GET", "/get", false);
        this.put = new Route(controller, "put", controller::put, "POST", "/put", true);
        this.delete = new Route(controller, "delete", controller::delete, "DELETE", "/delete", false);
    }

    @Override
    public HandlerExecutionChain getHandler(HttpServletRequest request) {
        Route route = switch (request.getRequestURI()) {
            case "/get" -> get;
            case "/put" -> put;
            case "/delete" -> delete;
            default -> null;
        };
        if (route == null || !route.method.equals(request.getMethod())
                || (route.json && !MediaType.APPLICATION_JSON_VALUE.equals(request.getContentType()))) {
            return null;
        }
        // The uri tag of http.server.requests, as the annotated mapping sets it.
        request.setAttribute(BEST_MATCHING_PATTERN_ATTRIBUTE, route.pattern);
        return new HandlerExecutionChain(route);
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE; // before the annotated mapping, which answers whatever this one does not
    }

    /** A handler of the controller's: it takes the servlet request and response, and answers itself. */
    @FunctionalInterface
    private interface Handler {
        void handle(HttpServletRequest request, HttpServletResponse response) throws IOException;
    }

    /** One of the controller's handlers, with the request it takes. */
    private static final class Route extends HandlerMethod {

        private final Handler handler;
        private final String method;
        private final String pattern;
        private final boolean json;

        Route(CacheController controller, String name, Handler handler, String method, String pattern,
                boolean json) {
            super(controller, handlerMethod(name));
            this.handler = handler;
            this.method = method;
            this.pattern = pattern;
            this.json = json;
        }

        private static Method handlerMethod(String name) {
            try {
                return CacheController.class.getDeclaredMethod(name, HttpServletRequest.class,
                        HttpServletResponse.class);
            }
            catch (NoSuchMethodException ex) {
                throw new IllegalStateException("CacheController has no handler " + name, ex);
            }
        }
    }

    /** Calls a {@link Route}'s handler directly; ordered before Spring's adapters, it sees no other handler. */
    static final class Adapter implements HandlerAdapter, Ordered {

        @Override
        public boolean supports(Object handler) {
            return handler instanceof Route;
        }

        @Override
        public ModelAndView handle(HttpServletRequest request, HttpServletResponse response, Object handler)
                throws Exception {
            ((Route) handler).handler.handle(request, response);
            return null;
        }

        @Override
        public int getOrder() {
            return Ordered.HIGHEST_PRECEDENCE;
        }
    }
}
