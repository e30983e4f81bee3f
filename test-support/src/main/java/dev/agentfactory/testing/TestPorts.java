package dev.agentfactory.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Free TCP ports for servers a test starts later (Kafka, Flink, Hazelcast, PostgreSQL), drawn below
 * Linux's ephemeral range (32768–60999). A port from {@code new ServerSocket(0)} comes from that
 * range, where any outgoing connection of this machine may take it between the test's check and the
 * server's bind (a Hazelcast member with auto-increment off then fails to start: seen in CI, the
 * cluster module's LeaseHeartbeatIT); below it only an explicit bind competes.
 */
public final class TestPorts {

  private static final Logger LOG = LoggerFactory.getLogger(TestPorts.class);

  /** Ports a start is tried on before its failure propagates. */
  static final int ATTEMPTS = 3;

  private TestPorts() {}

  /** A server start on a given port, for {@link #startOnFree}. */
  @FunctionalInterface
  public interface Start<T, E extends Exception> {
    T on(int port) throws E;
  }

  /** What {@link #startOnFree} started, and the port it started on. */
  public record OnPort<T>(T server, int port) {}

  /**
   * Runs {@code start} on a port from {@link #free()}, and again on another one when it fails
   * because the port was taken meanwhile ({@link #takenMeanwhile}), up to three ports. Any other
   * failure propagates at once. {@code start} must leave nothing running when it fails.
   *
   * <pre>{@code
   * ClusterNode node =
   *     TestPorts.startOnFree(port -> ClusterNode.start(config.port(port).build())).server();
   * }</pre>
   */
  public static <T, E extends Exception> OnPort<T> startOnFree(Start<T, E> start) throws E {
    return startOn(TestPorts::free, start);
  }

  /**
   * {@link #startOnFree}, on the ports {@code ports} draws: a test of a start's retry draws a port
   * it takes itself before the server binds it.
   */
  public static <T, E extends Exception> OnPort<T> startOn(IntSupplier ports, Start<T, E> start)
      throws E {
    for (int attempt = 1; ; attempt++) {
      int port = ports.getAsInt();
      try {
        return new OnPort<>(start.on(port), port);
      } catch (Exception e) {
        if (attempt == ATTEMPTS || !takenMeanwhile(port, e)) {
          throw e;
        }
      }
    }
  }

  /**
   * A port on 127.0.0.1 that no socket held just now. Checked without {@code SO_REUSEADDR} (Java
   * sets it on server sockets), so a port held by a connection in TIME_WAIT counts as taken too.
   */
  public static int free() {
    while (true) {
      int port = 20_000 + ThreadLocalRandom.current().nextInt(12_000);
      if (isFree(port)) {
        return port;
      }
    }
  }

  /** Whether a listener without {@code SO_REUSEADDR} could bind {@code port} on 127.0.0.1 now. */
  static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException busy) {
      return false;
    }
  }

  /**
   * Whether {@code failure} says a server could not bind {@code port}, which {@link #free()} found
   * free: nothing reserves a port between that check and the server's bind. Logs the sockets that
   * hold the port now (from /proc/net), so a run that hits this says by whom.
   */
  public static boolean takenMeanwhile(int port, Throwable failure) {
    boolean bind = false;
    for (Throwable t = failure; t != null && !bind; t = t.getCause()) {
      bind =
          t instanceof BindException
              || (t.getMessage() != null && t.getMessage().contains("already in use"));
    }
    if (bind) {
      LOG.warn(
          "port {} was free when drawn and taken when bound; drawing another. Its sockets now: {}",
          port,
          holders(port));
    }
    return bind;
  }

  /** The /proc/net/tcp and tcp6 lines whose local port is {@code port}. */
  static List<String> holders(int port) {
    String local = String.format(":%04X ", port);
    List<String> lines = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try {
        for (String line : Files.readAllLines(Path.of(table))) {
          String[] fields = line.trim().split("\\s+");
          if (fields.length > 2 && (fields[1] + " ").endsWith(local)) {
            lines.add(table + ": " + line.trim());
          }
        }
      } catch (IOException | UncheckedIOException unreadable) {
        lines.add(table + ": unreadable (" + unreadable + ")");
      }
    }
    return lines;
  }
}
