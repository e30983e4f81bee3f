package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.SandboxException;
import dev.agentfactory.sandbox.driver.LaunchCommand;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's pre-forked launcher, {@code af-launch --launch-server}: starts sandboxes without the
 * JVM spawning a process. The JVM's {@code posix_spawn} (and the {@code jspawnhelper} it execs) and
 * the exec of af-launch were two of the four execs of every sandbox start; the server forks a child
 * of its own (a small static process) that does af-launch's work and execs bwrap.
 *
 * <p>af-init's protocol channel is a unix socket connection instead of two pipes: the child
 * connects to this pool's listening socket (in a directory only the agent can enter), identifies
 * its start with a token and becomes af-init's stdin and stdout. The server reaps what it started
 * and reports each exit, so {@link SandboxProcess#waitFor} sees the sandbox reaped as it would a
 * child of the JVM. The server dies with the JVM (parent-death signal), and every sandbox it
 * started with it (bwrap {@code --die-with-parent}).
 *
 * <p>When the server is gone (killed from outside), {@link #launch} throws {@link Unavailable} and
 * the caller falls back to spawning the sandbox from the JVM.
 */
final class LaunchServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LaunchServer.class);

  /** The server cannot take a request; start the sandbox another way. */
  static final class Unavailable extends Exception {
    Unavailable(String message) {
      super(message);
    }
  }

  private final Process server;
  private final OutputStream toServer;
  private final ServerSocketChannel listener;
  private final Path socket;
  private final AtomicLong tokens = new AtomicLong();
  private final Map<Long, Pending> pendingByToken = new ConcurrentHashMap<>();
  private final Map<Long, Pending> pendingByPid = new ConcurrentHashMap<>();
  private final Map<Long, Child> children = new ConcurrentHashMap<>();
  private volatile boolean gone;

  private LaunchServer(Process server, ServerSocketChannel listener, Path socket) {
    this.server = server;
    this.toServer = server.getOutputStream();
    this.listener = listener;
    this.socket = socket;
    Thread replies = new Thread(this::readReplies, "sandbox-pool-launch-replies");
    replies.setDaemon(true);
    replies.start();
    Thread acceptor = new Thread(this::acceptLoop, "sandbox-pool-launch-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Binds the pool's launch socket in {@code dir} (created 0700) and starts the server on {@code
   * spawner}, the pool's long-lived spawning thread: its parent-death signal fires when the thread
   * that forked it ends.
   */
  static LaunchServer start(Path launcher, Path dir, ExecutorService spawner) {
    ServerSocketChannel listener = null;
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      Path socket = dir.resolve("launch.sock").toAbsolutePath();
      if (socket.toString().getBytes(StandardCharsets.UTF_8).length >= 108) {
        throw new SandboxException(
            "isolation_unavailable", "socket path too long for a unix socket: " + socket, false);
      }
      Files.deleteIfExists(socket);
      listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      listener.bind(UnixDomainSocketAddress.of(socket));
      Process p =
          spawner
              .submit(
                  () -> {
                    ProcessBuilder pb =
                        new ProcessBuilder(
                                List.of(launcher.toString(), "--launch-server", socket.toString()))
                            .redirectError(Redirect.DISCARD);
                    pb.environment().clear();
                    return pb.start();
                  })
              .get();
      return new LaunchServer(p, listener, socket);
    } catch (IOException | ExecutionException e) {
      closeQuietly(listener);
      throw new SandboxException(
          "isolation_unavailable", "cannot start the launch server: " + e, false, e);
    } catch (InterruptedException e) {
      closeQuietly(listener);
      Thread.currentThread().interrupt();
      throw new SandboxException("isolation_unavailable", "interrupted", false, e);
    }
  }

  /**
   * Starts {@code command} through the server and waits until its channel is connected.
   *
   * @throws Unavailable when the server is gone: nothing was started
   * @throws SandboxException {@code sandbox_start_failed} when the start itself failed
   */
  SandboxProcess launch(LaunchCommand command, Path log, Duration timeout) throws Unavailable {
    if (gone) {
      throw new Unavailable("the launch server is gone");
    }
    long token = tokens.incrementAndGet();
    Pending pending = new Pending(token);
    pendingByToken.put(token, pending);
    try {
      send(request(token, command, log));
    } catch (IOException e) {
      pendingByToken.remove(token);
      gone = true;
      throw new Unavailable("the launch server is gone: " + e);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    long pid = -1;
    boolean ok = false;
    try {
      pid = pending.pid.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      SocketChannel channel =
          pending.channel.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      Child child = children.get(pid);
      child.claimed = true;
      if (child.exit.isDone()) {
        children.remove(pid); // exited already: its session reads the end and the log
      }
      SandboxProcess started = child.connected(channel);
      ok = true;
      return started;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Unavailable u) {
        throw u;
      }
      throw failed(pid, "cannot start the sandbox: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw failed(pid, "the launch server did not start the sandbox within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failed(pid, "interrupted", e);
    } finally {
      pendingByToken.remove(token);
      if (pid > 0) {
        pendingByPid.remove(pid);
      }
      if (!ok) {
        // A connection that arrives after we gave up is closed here or by the acceptor
        pending.channel.thenAccept(LaunchServer::closeQuietly);
      }
    }
  }

  private SandboxException failed(long pid, String message, Throwable cause) {
    if (pid > 0) {
      Child child = children.get(pid);
      if (child != null) {
        child.claimed = true;
        child.kill();
        if (child.exit.isDone()) {
          children.remove(pid);
        }
      }
    }
    return new SandboxException("sandbox_start_failed", message, true, cause);
  }

  private void send(byte[] request) throws IOException {
    synchronized (toServer) {
      toServer.write(request);
      toServer.flush();
    }
  }

  /** Length-prefixed NUL-terminated strings: token, log, directory, argc, argv..., env... */
  static byte[] request(long token, LaunchCommand command, Path log) {
    ByteArrayOutputStream body = new ByteArrayOutputStream(1024);
    field(body, Long.toString(token));
    field(body, log.toAbsolutePath().toString());
    field(body, command.directory() == null ? "" : command.directory().toString());
    field(body, Integer.toString(command.argv().size()));
    command.argv().forEach(a -> field(body, a));
    command.env().forEach((k, v) -> field(body, k + "=" + v));
    int n = body.size();
    ByteArrayOutputStream out = new ByteArrayOutputStream(n + 4);
    out.write(n >>> 24);
    out.write(n >>> 16);
    out.write(n >>> 8);
    out.write(n);
    out.writeBytes(body.toByteArray());
    return out.toByteArray();
  }

  private static void field(ByteArrayOutputStream out, String s) {
    if (s.indexOf('\0') >= 0) {
      throw new SandboxException(
          "invalid_request", "a launch argument or variable contains NUL: " + s, false);
    }
    out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    out.write(0);
  }

  private void readReplies() {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        String[] f = line.split(" ", 3);
        try {
          switch (f[0]) {
            case "started" -> started(Long.parseLong(f[1]), Long.parseLong(f[2]));
            case "failed" -> {
              Pending p = pendingByToken.get(Long.parseLong(f[1]));
              if (p != null) {
                p.pid.completeExceptionally(
                    new IOException("launch server: " + (f.length > 2 ? f[2] : "")));
              } else {
                LOG.warn("launch server: {}", line);
              }
            }
            case "exit" -> exited(Long.parseLong(f[1]), Integer.parseInt(f[2]));
            default -> LOG.warn("launch server sent an unknown reply: {}", line);
          }
        } catch (RuntimeException e) {
          LOG.warn("launch server sent a malformed reply: {}", line, e);
        }
      }
    } catch (IOException e) {
      // gone, as at the end of its output
    }
    serverGone();
  }

  private void started(long token, long pid) {
    Child child = new Child(pid);
    children.put(pid, child);
    Pending p = pendingByToken.get(token);
    if (p == null) {
      child.claimed = true;
      child.kill(); // its start was abandoned
      return;
    }
    pendingByPid.put(pid, p);
    p.pid.complete(pid);
  }

  private void exited(long pid, int status) {
    Child child = children.get(pid);
    if (child != null) {
      child.exit.complete(status);
      // one not yet claimed stays for its launch to pick up; an orphan's pid is never a child
      if (child.claimed) {
        children.remove(pid);
      }
    }
    Pending p = pendingByPid.remove(pid);
    if (p != null) {
      // died before it connected: its log says why
      String how =
          (status & 0x7f) == 0
              ? "exited with status " + ((status >> 8) & 0xff)
              : "was killed by signal " + (status & 0x7f);
      p.channel.completeExceptionally(
          new IOException("the sandbox launcher " + how + " before it connected"));
    }
  }

  /** Sandboxes it started die with it (parent-death signal); wait for that from the outside. */
  private void serverGone() {
    gone = true;
    Unavailable u = new Unavailable("the launch server is gone");
    pendingByToken.values().forEach(p -> p.pid.completeExceptionally(u));
    for (Child child : List.copyOf(children.values())) {
      ProcessHandle.of(child.pid)
          .ifPresentOrElse(
              h -> h.onExit().thenRun(() -> child.exit.complete(-1)),
              () -> child.exit.complete(-1));
    }
    closeQuietly(listener);
  }

  private void acceptLoop() {
    while (!gone) {
      SocketChannel ch;
      try {
        ch = listener.accept();
      } catch (IOException e) {
        if (!gone) {
          LOG.warn("launch socket stopped accepting; new sandboxes start from the JVM", e);
          gone = true;
        }
        return;
      }
      try {
        ByteBuffer token = ByteBuffer.allocate(8);
        while (token.hasRemaining()) {
          if (ch.read(token) < 0) {
            throw new IOException("closed before its token");
          }
        }
        Pending p = pendingByToken.get(token.flip().getLong());
        if (p == null || !p.channel.complete(ch)) {
          closeQuietly(ch);
        }
      } catch (IOException e) {
        closeQuietly(ch);
      }
    }
  }

  @Override
  public void close() {
    gone = true;
    HelperProcesses.stop(toServer, server);
    closeQuietly(listener);
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      // the work dir is cleaned at the next start
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException e) {
        // nothing to do
      }
    }
  }

  private static final class Pending {
    final long token;
    final CompletableFuture<Long> pid = new CompletableFuture<>();
    final CompletableFuture<SocketChannel> channel = new CompletableFuture<>();

    Pending(long token) {
      this.token = token;
    }
  }

  /** A process the server started: bwrap (or af-init), reaped and reported by the server. */
  private static final class Child implements SandboxProcess {
    final long pid;
    final CompletableFuture<Integer> exit = new CompletableFuture<>();
    volatile boolean claimed; // by its launch, or abandoned
    private SocketChannel channel;
    private InputStream in;
    private OutputStream out;

    Child(long pid) {
      this.pid = pid;
    }

    Child connected(SocketChannel ch) {
      this.channel = ch;
      // Not Channels.newInputStream/newOutputStream: on Java 17 both lock the channel's blocking
      // lock, so a reader blocked in read() would hold up every write
      this.in =
          new InputStream() {
            @Override
            public int read() throws IOException {
              byte[] one = new byte[1];
              int n = read(one, 0, 1);
              return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
              if (len == 0) {
                return 0;
              }
              return ch.read(ByteBuffer.wrap(b, off, len));
            }
          };
      this.out =
          new OutputStream() {
            @Override
            public void write(int b) throws IOException {
              write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
              ByteBuffer buf = ByteBuffer.wrap(b, off, len);
              while (buf.hasRemaining()) {
                ch.write(buf);
              }
            }

            @Override
            public void close() throws IOException {
              ch.shutdownOutput();
            }
          };
      return this;
    }

    @Override
    public long pid() {
      return pid;
    }

    @Override
    public InputStream input() {
      return in;
    }

    @Override
    public OutputStream output() {
      return out;
    }

    @Override
    public boolean isAlive() {
      return !exit.isDone();
    }

    @Override
    public void kill() {
      // Until the server reports the exit, the pid is its unreaped child: never a reused pid
      if (!exit.isDone()) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
      try {
        exit.get(timeout, unit);
        return true;
      } catch (TimeoutException e) {
        return false;
      } catch (ExecutionException e) {
        return true;
      }
    }

    @Override
    public void closeOutput() {
      try {
        if (channel != null && channel.isOpen()) {
          channel.shutdownOutput();
        }
      } catch (IOException e) {
        // the other end is dead
      }
    }

    @Override
    public void closeInput() {
      closeQuietly(channel);
    }
  }
}
