package dev.agentfactory.bench.sessions;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentfactory.jobs.cli.CliArgs;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * {@code ./agent-factory bench sessions}: how many WebSocket sessions one node holds and how fast
 * it serves them, against a bare Vert.x echo server on the same machine in the same run.
 *
 * <ol>
 *   <li>Starts a real node in its own JVM, as the launcher does (embedded Kafka, Flink MiniCluster
 *       running the pipeline, Hazelcast, sandbox pool with no warm sandboxes), and registers the
 *       {@code bench} agent: the scripted policy with no tools, so its turns need no sandbox.
 *   <li>Opens {@code --idle} plain sessions (each counts once its {@code session.ready} arrived)
 *       and measures the node's heap after a full GC, before and after, per session.
 *   <li>With those still open, drives {@code --active} agent sessions in a closed loop (message,
 *       every frame of the answer up to {@code turn.completed}, next message) for {@code --warmup}
 *       then {@code --duration} seconds: frames/s, turns/s, latency of the first frame and of the
 *       whole answer.
 *   <li>Does the same against {@link EchoServer} in its own JVM, which answers each message with as
 *       many frames as a node's turn had: the ceiling. Reports node/echo.
 * </ol>
 *
 * <p>Prints one JSON object per line on stdout, like every bench group.
 */
public final class SessionsBench {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VERSION = "0.1.0-SNAPSHOT";
  private static final String JOB_JAR = "flink-jobs-" + VERSION + "-job.jar";
  private static final String MESSAGE =
      "{\"v\":1,\"type\":\"message\",\"id\":\"m\",\"content\":\"hello, who are you?\"}";
  private static final String BENCH_AGENT =
      """
      {"name":"bench","description":"bench sessions: scripted, no tools","model":{"provider":"scripted","name":"scripted/math-v1"},
       "system_prompt":"bench","tools":[],"sandbox":{"template":"shell"},"limits":{"max_turns":4,"max_tokens":2000000000,"max_wall_time_ms":60000}}
      """;

  private SessionsBench() {}

  /** Command-line options. */
  record Options(
      int idle,
      int active,
      int durationS,
      int warmupS,
      int clientLoops,
      int window,
      String nodeHeap,
      boolean echo) {

    static Options parse(String[] args) {
      CliArgs a =
          CliArgs.parse(
              args,
              Set.of(
                  "--idle",
                  "--active",
                  "--duration",
                  "--warmup",
                  "--client-loops",
                  "--window",
                  "--node-heap",
                  "--echo"));
      return new Options(
          a.intValue("--idle", 10000, 0, 1_000_000),
          a.intValue("--active", 1000, 1, 1_000_000),
          a.intValue("--duration", 30, 1, 86_400),
          a.intValue("--warmup", 10, 0, 86_400),
          a.intValue("--client-loops", 4, 1, 1024),
          a.intValue("--window", 200, 1, 1_000_000),
          a.stringValue("--node-heap", "2g"),
          a.booleanValue("--echo", true));
    }
  }

  /** What one server did under the load. */
  record Run(
      int idleOpen,
      long idleOpenMs,
      double heapPerIdle,
      double rssPerIdle,
      double framesPerSec,
      double turnsPerSec,
      Histogram first,
      Histogram turn,
      long errors) {}

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    Path work = Files.createTempDirectory("af-bench-sessions");
    System.err.printf(
        "sessions: idle=%d active=%d duration=%ds warmup=%ds client-loops=%d; logs in %s%n",
        o.idle(), o.active(), o.durationS(), o.warmupS(), o.clientLoops(), work);
    try {
      Run node = runNode(o, work);
      double framesPerTurn = node.turnsPerSec() == 0 ? 1 : node.framesPerSec() / node.turnsPerSec();
      report("node", node);
      print("frames_per_turn", round(framesPerTurn), "frames", "node frames per answered message");
      if (o.echo()) {
        int replies = (int) Math.max(1, Math.round(framesPerTurn));
        Run echo = runEcho(o, work, replies);
        report("echo", echo);
        print(
            "node_echo_frames_ratio",
            round(node.framesPerSec() / echo.framesPerSec()),
            "ratio",
            "node frames/s over echo frames/s, echo answering each message with "
                + replies
                + " frames");
        print(
            "node_echo_heap_ratio",
            round(node.heapPerIdle() / echo.heapPerIdle()),
            "ratio",
            "node heap per idle session over echo heap per idle connection");
      }
    } finally {
      deleteRecursively(work);
    }
  }

  private static Run runNode(Options o, Path work) throws Exception {
    int http = freePort();
    Path dataDir = Files.createDirectories(work.resolve("node-data"));
    List<String> flags =
        List.of(
            "--data.dir=" + dataDir,
            "--http.port=" + http,
            "--kafka.embedded.port=0",
            "--flink.embedded.port=0",
            "--cluster.port=" + freePort(),
            "--flink.pipeline.jar=" + jobJar(),
            "--sandbox.pool.size=0",
            "--session.max.per.tenant=" + (o.idle() + o.active() + 100),
            "--session.resume.grace.ms=0");
    try (ChildJvm node =
        ChildJvm.start("node", o.nodeHeap(), work, "dev.agentfactory.edge.NodeMain", flags)) {
      node.awaitReady("http://127.0.0.1:" + http + "/ready", Duration.ofMinutes(4));
      HttpResponse<String> created =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/v1/agents"))
                      .header("content-type", "application/json")
                      .POST(HttpRequest.BodyPublishers.ofString(BENCH_AGENT))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      if (created.statusCode() != 201) {
        throw new IllegalStateException("bench agent not created: " + created.body());
      }
      System.err.println("sessions: node up (pid " + node.pid() + ")");
      return load(o, node, http, "/v1/sessions", "/v1/sessions?agent=bench", true, 0);
    }
  }

  private static Run runEcho(Options o, Path work, int replies) throws Exception {
    int port = freePort();
    try (ChildJvm echo =
        ChildJvm.start(
            "echo",
            o.nodeHeap(),
            work,
            EchoServer.class.getName(),
            List.of(Integer.toString(port), Integer.toString(replies)))) {
      echo.awaitReady("http://127.0.0.1:" + port + "/", Duration.ofMinutes(1));
      System.err.println("sessions: echo server up (pid " + echo.pid() + ")");
      return load(o, echo, port, "/", "/", false, replies);
    }
  }

  private static Run load(
      Options o,
      ChildJvm server,
      int port,
      String idleUri,
      String activeUri,
      boolean node,
      int echoReplies)
      throws Exception {
    try (LoadClient client = new LoadClient(o.clientLoops())) {
      long heapBefore = server.heapUsedAfterGc();
      long rssBefore = server.rss();
      LoadClient.Opened idle = client.open(port, idleUri, o.idle(), o.window(), node);
      System.err.printf(
          "sessions: %d idle open in %d ms (%d failed%s)%n",
          idle.sockets().size(),
          idle.millis(),
          idle.failed(),
          idle.firstError() == null ? "" : ", first: " + idle.firstError());
      long heapAfter = server.heapUsedAfterGc();
      long rssAfter = server.rss();
      int n = Math.max(1, idle.sockets().size());

      LoadClient.Opened active = client.open(port, activeUri, o.active(), o.window(), node);
      System.err.printf(
          "sessions: %d active open in %d ms (%d failed%s)%n",
          active.sockets().size(),
          active.millis(),
          active.failed(),
          active.firstError() == null ? "" : ", first: " + active.firstError());
      LoadClient.TurnEnd end =
          node
              ? (text, count) ->
                  text.startsWith("{\"v\":1,\"type\":\"turn.completed\"")
                      || text.startsWith("{\"v\":1,\"type\":\"error\"")
              : (text, count) -> count == echoReplies;
      active.sockets().forEach(ws -> client.drive(ws, MESSAGE, end));
      Thread.sleep(o.warmupS() * 1000L); // the bench's own thread: the load runs on event loops
      client.reset();
      long start = System.nanoTime();
      Thread.sleep(o.durationS() * 1000L);
      double seconds = (System.nanoTime() - start) / 1e9;
      long frames = client.frames.sum();
      long turns = client.turns.sum();
      long errors = client.errors.sum();
      Histogram first = client.firstFrames();
      Histogram turn = client.turnLatencies();
      client.stopDriving();
      return new Run(
          idle.sockets().size(),
          idle.millis(),
          (heapAfter - heapBefore) / (double) n,
          (rssAfter - rssBefore) / (double) n,
          frames / seconds,
          turns / seconds,
          first,
          turn,
          errors);
    }
  }

  private static void report(String who, Run r) throws IOException {
    print(who + "_idle_sessions", r.idleOpen(), "sessions", "held open at once, idle");
    print(who + "_idle_open_ms", r.idleOpenMs(), "ms", "time to open them all");
    print(
        who + "_heap_per_idle_session",
        Math.round(r.heapPerIdle()),
        "bytes",
        "heap after full GC, (after - before) / idle sessions");
    print(
        who + "_rss_per_idle_session",
        Math.round(r.rssPerIdle()),
        "bytes",
        "process RSS, (after - before) / idle sessions");
    print(who + "_frames_per_sec", Math.round(r.framesPerSec()), "frames/s", null);
    print(who + "_turns_per_sec", Math.round(r.turnsPerSec()), "turns/s", null);
    print(
        who + "_first_frame_p50",
        r.first().getValueAtPercentile(50) / 1000.0,
        "ms",
        "message sent -> first frame of the answer");
    print(who + "_first_frame_p99", r.first().getValueAtPercentile(99) / 1000.0, "ms", null);
    print(
        who + "_turn_p50",
        r.turn().getValueAtPercentile(50) / 1000.0,
        "ms",
        "message sent -> last frame of the answer");
    print(who + "_turn_p99", r.turn().getValueAtPercentile(99) / 1000.0, "ms", null);
    print(
        who + "_turn_samples",
        r.turn().getTotalCount(),
        "turns",
        "answers completed in the measured window (first_frame_samples: answers that started"
            + " in it)");
    print(who + "_first_frame_samples", r.first().getTotalCount(), "answers", null);
    print(who + "_error_frames", r.errors(), "frames", null);
  }

  private static Path jobJar() {
    String explicit = System.getProperty("pipeline.jar");
    List<Path> candidates = new ArrayList<>();
    if (explicit != null) {
      candidates.add(Path.of(explicit));
    }
    candidates.add(Path.of("flink-jobs", "target", JOB_JAR));
    candidates.add(
        Path.of(
            System.getProperty("user.home"),
            ".m2/repository/dev/agentfactory/flink-jobs",
            VERSION,
            JOB_JAR));
    return candidates.stream()
        .filter(Files::isRegularFile)
        .findFirst()
        .map(p -> p.toAbsolutePath())
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "no pipeline job jar at "
                        + candidates
                        + ": build flink-jobs or pass"
                        + " -Dpipeline.jar="));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static double round(double value) {
    return Math.round(value * 1000) / 1000.0;
  }

  private static void print(String metric, double value, String unit, String note)
      throws IOException {
    ObjectNode line = JSON.createObjectNode();
    line.put("benchmark", "sessions");
    line.put("metric", metric);
    line.put("value", value);
    line.put("unit", unit);
    if (note != null) {
      line.put("note", note);
    }
    System.out.println(JSON.writeValueAsString(line));
  }

  private static void deleteRecursively(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.delete(p);
                } catch (IOException e) {
                  System.err.println("sessions: cannot delete " + p + ": " + e);
                }
              });
    } catch (IOException e) {
      System.err.println("sessions: cannot delete " + root + ": " + e);
    }
  }
}
