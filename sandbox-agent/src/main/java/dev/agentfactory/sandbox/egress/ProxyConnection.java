package dev.agentfactory.sandbox.egress;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One connection from a sandbox to its proxy: reads the request head, asks the {@link EgressGate},
 * then tunnels (CONNECT) or forwards exactly one plain-HTTP request and streams its response.
 * Blocking I/O on the {@code sandbox-egress-*} threads: a tunnel takes two of them while it is
 * open. The client side is the unix socket channel itself (never {@code Channels.newInputStream},
 * whose reads and writes share one lock and would deadlock a two-way copy).
 */
final class ProxyConnection implements Runnable {

  static final int MAX_HEAD_BYTES = 64 << 10;
  private static final int MAX_LINE_BYTES = 8 << 10;
  private static final long HEAD_TIMEOUT_S = 30;
  private static final long REQUEST_BODY_TIMEOUT_S = 600;
  private static final int CONNECT_TIMEOUT_MS = 10_000;

  /** A tunnel or response that moves no byte from upstream for this long is closed. */
  private static final int UPSTREAM_IDLE_MS = 600_000;

  private final SocketChannel client;
  private final EgressGate gate;
  private final Executor threads;
  private final ScheduledExecutorService timer;
  private final Runnable onClosed;
  private final AtomicInteger openHalves = new AtomicInteger(1);
  private volatile Socket upstream;

  ProxyConnection(
      SocketChannel client,
      EgressGate gate,
      Executor threads,
      ScheduledExecutorService timer,
      Runnable onClosed) {
    this.client = client;
    this.gate = gate;
    this.threads = threads;
    this.timer = timer;
    this.onClosed = onClosed;
  }

  @Override
  public void run() {
    ScheduledFuture<?> watchdog = timer.schedule(this::abort, HEAD_TIMEOUT_S, TimeUnit.SECONDS);
    boolean handedOff = false;
    try {
      ByteBuffer buf = ByteBuffer.allocate(MAX_HEAD_BYTES);
      int headEnd = readHead(buf);
      if (headEnd < 0) {
        return;
      }
      ProxyRequest request;
      try {
        request =
            ProxyRequest.parse(new String(buf.array(), 0, headEnd, StandardCharsets.ISO_8859_1));
      } catch (ProxyRequest.BadRequest e) {
        gate.report(EgressDecision.deny("?", "?", 0, EgressDecision.BAD_REQUEST, null));
        respond(400, "Bad Request", "egress proxy: " + e.getMessage());
        return;
      }
      EgressGate.Verdict verdict = gate.decide(request.method(), request.host(), request.port());
      EgressDecision decision = verdict.decision();
      if (!decision.allowed()) {
        respond(
            403,
            "Forbidden",
            "egress denied: "
                + decision.reason()
                + " ("
                + decision.method()
                + " "
                + decision.host()
                + ":"
                + decision.port()
                + ")");
        return;
      }
      Socket up = connect(verdict, request.port());
      if (up == null) {
        respond(502, "Bad Gateway", "egress proxy: cannot connect to " + decision.host());
        return;
      }
      buf.flip().position(headEnd);
      if (request.connect()) {
        watchdog.cancel(false);
        writeAll(ascii("HTTP/1.1 200 Connection established\r\n\r\n"));
        up.getOutputStream().write(buf.array(), buf.position(), buf.remaining());
        handedOff = tunnel(up);
      } else {
        watchdog.cancel(false);
        watchdog = timer.schedule(this::abort, REQUEST_BODY_TIMEOUT_S, TimeUnit.SECONDS);
        forward(request, new ClientReader(client, buf), up.getOutputStream());
        watchdog.cancel(false);
        copyDown(up.getInputStream());
      }
    } catch (IOException | ProxyRequest.BadRequest e) {
      // the sandbox or the upstream hung up, timed out or sent something unframeable: close
    } finally {
      watchdog.cancel(false);
      if (!handedOff) {
        abort();
      } else {
        halfDone();
      }
    }
  }

  /** Closes both sides; safe from any thread, e.g. when the sandbox closes. */
  void abort() {
    closeQuietly(client);
    Socket up = upstream;
    if (up != null) {
      closeQuietly(up);
    }
    if (openHalves.getAndSet(-100) >= 0) {
      onClosed.run();
    }
  }

  /** Reads until the blank line; returns the head's length, or -1 when the client went away. */
  private int readHead(ByteBuffer buf) throws IOException {
    int scanned = 0;
    while (true) {
      if (!buf.hasRemaining()) {
        respond(431, "Request Header Fields Too Large", "egress proxy: head over 64 KiB");
        return -1;
      }
      if (client.read(buf) < 0) {
        return -1;
      }
      byte[] a = buf.array();
      for (int i = Math.max(0, scanned - 3); i < buf.position(); i++) {
        if (a[i] == '\n'
            && ((i >= 1 && a[i - 1] == '\n') || (i >= 2 && a[i - 1] == '\r' && a[i - 2] == '\n'))) {
          return i + 1;
        }
      }
      scanned = buf.position();
    }
  }

  private Socket connect(EgressGate.Verdict verdict, int port) {
    for (InetAddress address : verdict.addresses()) {
      Socket s = new Socket();
      try {
        // the address the gate checked, never the name again: no second lookup to rebind
        s.connect(new InetSocketAddress(address, port), CONNECT_TIMEOUT_MS);
        s.setSoTimeout(UPSTREAM_IDLE_MS);
        upstream = s;
        return s;
      } catch (IOException e) {
        closeQuietly(s);
      }
    }
    return null;
  }

  /** Copies the client's bytes upstream here, the upstream's to the client on another thread. */
  private boolean tunnel(Socket up) throws IOException {
    openHalves.set(2);
    try {
      threads.execute(
          () -> {
            try {
              copyDown(up.getInputStream());
              client.shutdownOutput();
            } catch (IOException e) {
              abort();
            } finally {
              halfDone();
            }
          });
    } catch (RejectedExecutionException e) {
      openHalves.set(1);
      return false;
    }
    try {
      OutputStream out = up.getOutputStream();
      ByteBuffer chunk = ByteBuffer.allocate(32 << 10);
      while (client.read(chunk.clear()) >= 0) {
        out.write(chunk.array(), 0, chunk.position());
      }
      up.shutdownOutput();
    } catch (IOException e) {
      abort();
    }
    return true;
  }

  private void halfDone() {
    if (openHalves.decrementAndGet() == 0) {
      abort();
    }
  }

  private void copyDown(InputStream in) throws IOException {
    byte[] chunk = new byte[32 << 10];
    try {
      int n;
      while ((n = in.read(chunk)) >= 0) {
        writeAll(ByteBuffer.wrap(chunk, 0, n));
      }
    } catch (SocketTimeoutException e) {
      throw new IOException("upstream idle for " + UPSTREAM_IDLE_MS + " ms", e);
    }
  }

  /** Sends the rewritten head and exactly the request's body: nothing after it is forwarded. */
  private static void forward(ProxyRequest request, ClientReader in, OutputStream out)
      throws IOException, ProxyRequest.BadRequest {
    String te = request.header("transfer-encoding");
    String cl = request.header("content-length");
    if (te != null && cl != null) {
      throw new ProxyRequest.BadRequest("both Transfer-Encoding and Content-Length");
    }
    if (te != null && !te.equalsIgnoreCase("chunked")) {
      throw new ProxyRequest.BadRequest("unsupported Transfer-Encoding " + te);
    }
    if (cl != null && !cl.matches("\\d{1,18}")) {
      throw new ProxyRequest.BadRequest("malformed Content-Length");
    }
    out.write(request.forwardedHead().getBytes(StandardCharsets.ISO_8859_1));
    if (cl != null) {
      in.copy(Long.parseLong(cl), out);
    } else if (te != null) {
      while (true) {
        String size = in.line();
        out.write((size + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        String hex = size.split(";", 2)[0].strip();
        if (!hex.matches("[0-9A-Fa-f]{1,15}")) {
          throw new ProxyRequest.BadRequest("malformed chunk size");
        }
        long n = Long.parseLong(hex, 16);
        if (n == 0) {
          String trailer;
          do {
            trailer = in.line();
            out.write((trailer + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          } while (!trailer.isEmpty());
          break;
        }
        in.copy(n, out);
        if (!in.line().isEmpty()) {
          throw new ProxyRequest.BadRequest("chunk longer than its size");
        }
        out.write(ascii("\r\n").array());
      }
    }
    out.flush();
  }

  private void respond(int status, String phrase, String body) throws IOException {
    byte[] text = (body + "\n").getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 "
            + status
            + " "
            + phrase
            + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
            + text.length
            + "\r\nConnection: close\r\n\r\n";
    writeAll(ascii(head));
    writeAll(ByteBuffer.wrap(text));
  }

  private void writeAll(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      client.write(b);
    }
  }

  private static ByteBuffer ascii(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing: nothing left to do
    }
  }

  /** Reads the request body from the client channel, starting with what the head read left. */
  private static final class ClientReader {
    private final SocketChannel ch;
    private final ByteBuffer buf;

    ClientReader(SocketChannel ch, ByteBuffer leftover) {
      this.ch = ch;
      this.buf = leftover;
    }

    private void fill() throws IOException {
      if (buf.hasRemaining()) {
        return;
      }
      buf.clear();
      int n = ch.read(buf);
      buf.flip();
      if (n < 0) {
        throw new EOFException("client closed mid-request");
      }
    }

    void copy(long n, OutputStream out) throws IOException {
      while (n > 0) {
        fill();
        int k = (int) Math.min(n, buf.remaining());
        out.write(buf.array(), buf.position(), k);
        buf.position(buf.position() + k);
        n -= k;
      }
    }

    String line() throws IOException, ProxyRequest.BadRequest {
      StringBuilder s = new StringBuilder();
      while (true) {
        fill();
        byte b = buf.get();
        if (b == '\n') {
          int len = s.length();
          return len > 0 && s.charAt(len - 1) == '\r' ? s.substring(0, len - 1) : s.toString();
        }
        if (s.length() >= MAX_LINE_BYTES) {
          throw new ProxyRequest.BadRequest("line too long in a chunked body");
        }
        s.append((char) (b & 0xff));
      }
    }
  }
}
