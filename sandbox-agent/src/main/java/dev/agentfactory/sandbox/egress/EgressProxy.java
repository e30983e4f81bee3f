package dev.agentfactory.sandbox.egress;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The host side of sandbox egress: one unix socket per sandbox ({@link #open}), bound into the
 * sandbox, where an HTTP proxy decides every request with the sandbox's {@link EgressGate}.
 *
 * <p>Threads are bounded: one accept thread per sandbox with egress, and a shared pool of at most
 * {@value #MAX_THREADS} {@code sandbox-egress-*} threads for connections (a tunnel holds two while
 * open); a sandbox may hold at most {@value #MAX_CONNECTIONS_PER_SANDBOX} connections, so one
 * sandbox cannot take the pool from the others. Beyond either limit a connection gets {@code 503}.
 */
public final class EgressProxy implements AutoCloseable {

  static final int MAX_THREADS = 512;
  static final int MAX_CONNECTIONS_PER_SANDBOX = 64;

  private final ThreadPoolExecutor threads;
  private final ScheduledExecutorService timer;

  public EgressProxy() {
    this.threads =
        new ThreadPoolExecutor(
            0,
            MAX_THREADS,
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            named("sandbox-egress-"));
    this.timer = Executors.newSingleThreadScheduledExecutor(named("sandbox-egress-timer-"));
  }

  /**
   * Binds {@code socket} (mode 0600, owned by {@code ownerUid} unless it is negative) and serves
   * the sandbox's proxy on it until the endpoint is closed.
   */
  public Endpoint open(Path socket, int ownerUid, EgressGate gate) throws IOException {
    Files.deleteIfExists(socket);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(socket));
      if (ownerUid >= 0) {
        Files.setAttribute(socket, "unix:uid", ownerUid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(socket, "unix:gid", ownerUid, LinkOption.NOFOLLOW_LINKS);
      }
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    return new Endpoint(server, socket, gate);
  }

  @Override
  public void close() {
    threads.shutdownNow();
    timer.shutdownNow();
  }

  /** One sandbox's proxy socket and its open connections. */
  public final class Endpoint implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Path socket;
    private final EgressGate gate;
    private final Set<ProxyConnection> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    private Endpoint(ServerSocketChannel server, Path socket, EgressGate gate) {
      this.server = server;
      this.socket = socket;
      this.gate = gate;
      this.acceptor = new Thread(this::acceptLoop, "sandbox-egress-accept-" + gate.sandboxId());
      acceptor.setDaemon(true);
      acceptor.start();
    }

    /** The socket's host path. */
    public Path socket() {
      return socket;
    }

    /** Connections open right now. */
    public int openConnections() {
      return open.size();
    }

    private void acceptLoop() {
      while (!closed) {
        SocketChannel client;
        try {
          client = server.accept();
        } catch (ClosedChannelException e) {
          return;
        } catch (IOException e) {
          if (closed) {
            return;
          }
          continue;
        }
        if (open.size() >= MAX_CONNECTIONS_PER_SANDBOX) {
          gate.report(EgressDecision.deny("?", "?", 0, EgressDecision.TOO_MANY_CONNECTIONS, null));
          refuse(client);
          continue;
        }
        ProxyConnection[] self = new ProxyConnection[1];
        ProxyConnection conn =
            new ProxyConnection(client, gate, threads, timer, () -> open.remove(self[0]));
        self[0] = conn;
        open.add(conn);
        try {
          threads.execute(conn);
        } catch (RejectedExecutionException e) {
          open.remove(conn);
          refuse(client);
        }
        if (closed) {
          conn.abort();
        }
      }
    }

    private void refuse(SocketChannel client) {
      try (client) {
        client.write(
            ByteBuffer.wrap(
                ("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1)));
      } catch (IOException e) {
        // the sandbox hung up first
      }
    }

    /** Stops accepting, closes every open connection and removes the socket file. */
    @Override
    public void close() {
      closed = true;
      try {
        server.close();
      } catch (IOException e) {
        // closing anyway
      }
      for (ProxyConnection conn : Set.copyOf(open)) {
        conn.abort();
      }
      try {
        acceptor.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      try {
        Files.deleteIfExists(socket);
      } catch (IOException e) {
        // its directory is deleted with the sandbox
      }
    }
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread thread = new Thread(r, prefix + n.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
