package dev.kvcache.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged service ({@code target/kv-cache.jar}) as a process of its own, for tests that stop and start it
 * for real: SIGTERM as {@code docker stop} sends it, or {@code kill -9}. Small heap, quick start; its output
 * goes to a log file the test can read. For integration tests ({@code *IT}), which run after the jar is built.
 */
public final class ServiceProcess implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path log;
    private final Http http;

    private ServiceProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.http = new Http(port);
    }

    /** Starts the jar on a free port with these application arguments; its log is {@code target/<logName>.log}. */
    public static ServiceProcess start(String logName, String... args) {
        return start(logName, freePort(), args);
    }

    public static ServiceProcess start(String logName, int port, String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-jar", new File("target/kv-cache.jar").getAbsolutePath(), "--server.port=" + port));
        command.addAll(List.of(args));
        try {
            Path log = Files.createDirectories(Path.of("target", "it-logs")).resolve(logName + ".log");
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            return new ServiceProcess(process, port, log);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    public Http http() {
        return http;
    }

    public int port() {
        return port;
    }

    public Process process() {
        return process;
    }

    /** Waits until the readiness probe answers 200. */
    public ServiceProcess awaitReady(Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(100)).ignoreExceptions().untilAsserted(() -> {
            assertThat(process.isAlive()).as("the service is alive; its log: %s", log).isTrue();
            assertThat(http.get("/actuator/health/readiness").statusCode()).isEqualTo(200);
        });
        return this;
    }

    /** SIGTERM, as {@code docker stop} sends it; returns the exit status. */
    public int terminate(Duration atMost) {
        process.destroy(); // SIGTERM on Linux
        return waitForExit(atMost);
    }

    /** {@code kill -9}: no shutdown at all. */
    public void kill() {
        process.destroyForcibly();
        waitForExit(Duration.ofSeconds(30));
    }

    private int waitForExit(Duration atMost) {
        try {
            assertThat(process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)).as("exited within %s", atMost)
                    .isTrue();
            return process.exitValue();
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** What the service logged so far. */
    public String log() {
        try {
            return Files.readString(log);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }

    public static int freePort() {
        return freePorts(1)[0];
    }

    /** Ports free at the moment, all different. */
    public static int[] freePorts(int count) {
        int[] ports = new int[count];
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0);
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
            for (ServerSocket socket : sockets) {
                socket.close();
            }
            return ports;
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
