package dev.agentfactory.sandbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.sandbox.SandboxEvent;
import dev.agentfactory.sandbox.SandboxState;
import dev.agentfactory.sandbox.daemon.ApiClient.Reply;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The standalone daemon in-process on an ephemeral port, driven over real HTTP and WebSocket
 * connections against real namespace sandboxes.
 */
class SandboxAgentIT {

  private static final String TOKEN = "it-token-" + UUID.randomUUID();
  private static final long MAX_FILE_BYTES = 64 << 10;

  private static Path workDir;
  private static SandboxAgent agent;
  private static ApiClient client;

  @BeforeAll
  static void start() {
    workDir =
        Path.of(
                System.getProperty("java.io.tmpdir"),
                "af-it-sandboxes",
                "daemon-" + UUID.randomUUID())
            .toAbsolutePath();
    agent =
        SandboxAgent.start(
            DaemonConfig.loopback(workDir)
                .withPort(0)
                .withPoolSize(1)
                .withUidRange(420_000, 40)
                .withToken(TOKEN)
                .withMaxFileBytes(MAX_FILE_BYTES));
    client = new ApiClient(agent.port(), TOKEN);
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    agent.close();
    try (var left = Files.list(workDir.resolve("workspaces"))) {
      assertThat(left).as("workspaces left after close").isEmpty();
    }
  }

  private static String lease(JsonObject body) {
    Reply reply = client.post("/v1/leases", body);
    assertThat(reply.status()).as(reply.text()).isEqualTo(201);
    return reply.json().getString("id");
  }

  private static String lease() {
    return lease(new JsonObject().put("template", "shell"));
  }

  private static JsonObject exec(String lease, JsonObject command) {
    Reply reply = client.post("/v1/leases/" + lease + "/exec", command);
    assertThat(reply.status()).as(reply.text()).isEqualTo(200);
    return reply.json();
  }

  private static JsonObject sh(String lease, String script) {
    return exec(lease, new JsonObject().put("command", script));
  }

  private static boolean eventually(Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
    return condition.getAsBoolean();
  }

  @Test
  void leaseExecAndEnd() {
    Reply created = client.post("/v1/leases", new JsonObject().put("template", "shell"));
    assertThat(created.status()).isEqualTo(201);
    String id = created.json().getString("id");
    String sandboxId = created.json().getString("sandbox_id");
    assertThat(sandboxId).startsWith("sbx-");
    assertThat(created.json().getString("state")).isEqualTo("leased");

    JsonObject result = sh(id, "echo hi; echo oops >&2; exit 3");
    assertThat(result.getInteger("exit_code")).isEqualTo(3);
    assertThat(result.getString("status")).isEqualTo("exited");
    assertThat(result.getString("stdout")).isEqualTo("hi\n");
    assertThat(result.getString("stderr")).isEqualTo("oops\n");
    assertThat(result.getBoolean("timed_out")).isFalse();

    JsonObject piped =
        exec(
            id,
            new JsonObject()
                .put("argv", new JsonArray().add("sh").add("-c").add("cat; echo \" $GREETING\""))
                .put("stdin", "from stdin")
                .put("env", new JsonObject().put("GREETING", "hello")));
    assertThat(piped.getString("stdout")).isEqualTo("from stdin hello\n");
    assertThat(sh(id, "ls -A").getString("stdout")).as("stdin staging leaves nothing").isEmpty();

    JsonObject slow = exec(id, new JsonObject().put("command", "sleep 10").put("timeout_ms", 300));
    assertThat(slow.getBoolean("timed_out")).isTrue();
    assertThat(slow.getString("status")).isEqualTo("timeout");

    JsonArray listed = client.get("/v1/leases").json().getJsonArray("leases");
    assertThat(listed.stream().map(l -> ((JsonObject) l).getString("id"))).contains(id);

    assertThat(client.delete("/v1/leases/" + id).status()).isEqualTo(204);
    Reply gone = client.get("/v1/leases/" + id);
    assertThat(gone.status()).isEqualTo(404);
    assertThat(gone.code()).isEqualTo("unknown_lease");
    assertThat(eventually(Duration.ofSeconds(10), () -> !Files.exists(workspace(sandboxId))))
        .as("the sandbox's workspace is removed")
        .isTrue();
  }

  private static List<String> leaseIds() {
    return client.get("/v1/leases").json().getJsonArray("leases").stream()
        .map(l -> ((JsonObject) l).getString("id"))
        .toList();
  }

  private static Path workspace(String sandboxId) {
    return workDir.resolve("workspaces").resolve(sandboxId);
  }

  @Test
  void streamedExecSendsOutputFramesThenTheResult() throws InterruptedException {
    String id = lease();
    BlockingQueue<JsonObject> frames =
        client.stream(
            id,
            new JsonObject()
                .put(
                    "command", "for i in 1 2 3; do echo $i; sleep 0.05; done; echo e >&2; exit 4"));

    List<JsonObject> seen = new ArrayList<>();
    JsonObject frame;
    do {
      frame = frames.poll(30, TimeUnit.SECONDS);
      assertThat(frame).as("a frame; so far " + seen).isNotNull();
      seen.add(frame);
    } while (!frame.getString("type").equals("result"));

    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    for (JsonObject f : seen.subList(0, seen.size() - 1)) {
      (f.getString("type").equals("stdout") ? out : err).append(f.getString("data"));
    }
    assertThat(out.toString()).isEqualTo("1\n2\n3\n");
    assertThat(err.toString()).isEqualTo("e\n");
    assertThat(frame.getInteger("exit_code")).isEqualTo(4);
    assertThat(frames.poll(10, TimeUnit.SECONDS).getString("type")).isEqualTo("closed");
  }

  @Test
  void closingTheStreamKillsItsCommandAndTheSandboxTakesTheNextOne() throws InterruptedException {
    String id = lease();
    ApiClient.Stream stream =
        client.openStream(
            id,
            new JsonObject().put("command", "echo started; sleep 600").put("timeout_ms", 600_000));
    JsonObject first = stream.frames().poll(30, TimeUnit.SECONDS);
    assertThat(first).as("the command's first output").isNotNull();
    assertThat(first.getString("data")).isEqualTo("started\n");

    ApiClient.await(stream.socket().close());
    // Commands of a sandbox run one at a time: had the sleep survived its stream, this one would
    // wait 600 s behind it (and the client give up after its 30 s idle timeout)
    JsonObject next = sh(id, "echo next");
    assertThat(next.getString("stdout")).isEqualTo("next\n");
    assertThat(next.getInteger("exit_code")).isZero();
  }

  /**
   * A lease request is answered within the daemon's bound whatever the pool does; here the bound (1
   * ms) is shorter than any sandbox start, and no sandbox is kept warm. The sandbox that arrives
   * after the answer is terminated, not leaked.
   */
  @Test
  void aLeaseThatCannotBeServedInTimeGetsATypedErrorAndItsLateSandboxIsTerminated()
      throws Exception {
    Path dir = workDir.resolveSibling(workDir.getFileName() + "-slow");
    try (SandboxAgent slow =
            SandboxAgent.start(
                DaemonConfig.loopback(dir)
                    .withPort(0)
                    .withPoolSize(0)
                    .withUidRange(420_100, 10)
                    .withToken(TOKEN),
                Duration.ofMillis(1));
        ApiClient slowClient = new ApiClient(slow.port(), TOKEN)) {
      List<SandboxEvent> events = new CopyOnWriteArrayList<>();
      slow.pool().addListener(events::add);
      Reply reply = slowClient.post("/v1/leases", new JsonObject().put("template", "shell"));
      assertThat(reply.status()).as(reply.text()).isEqualTo(503);
      assertThat(reply.code()).isEqualTo("lease_timeout");
      assertThat(reply.retryAfter()).as("the client should try again").isEqualTo("1");

      assertThat(
              eventually(
                  Duration.ofSeconds(30),
                  () -> events.stream().anyMatch(e -> e.state() == SandboxState.TERMINATED)))
          .as("the sandbox started for the timed-out lease is terminated; events " + events)
          .isTrue();
      assertThat(events).anyMatch(e -> e.state() == SandboxState.LEASED);
      assertThat(slow.leaseCount()).isZero();
      assertThat(eventually(Duration.ofSeconds(10), () -> workspaces(dir).isEmpty())).isTrue();
    }
  }

  private static List<Path> workspaces(Path dir) {
    try (var list = Files.list(dir.resolve("workspaces"))) {
      return list.toList();
    } catch (java.io.IOException e) {
      return List.of();
    }
  }

  @Test
  void streamWithABadCommandGetsATypedErrorFrame() throws InterruptedException {
    String id = lease();
    BlockingQueue<JsonObject> frames = client.stream(id, new JsonObject().put("nope", 1));

    JsonObject frame = frames.poll(30, TimeUnit.SECONDS);
    assertThat(frame.getString("type")).isEqualTo("error");
    assertThat(frame.getJsonObject("error").getString("code")).isEqualTo("unknown_field");
    assertThat(frame.getJsonObject("error").getString("field")).isEqualTo("nope");
  }

  @Test
  void filesAreWrittenReadAndListed() {
    String id = lease();
    Reply put =
        client.call(
            HttpMethod.PUT, "/v1/leases/" + id + "/files?path=src/a.txt", Buffer.buffer("hello"));
    assertThat(put.status()).as(put.text()).isEqualTo(200);
    assertThat(sh(id, "cat src/a.txt").getString("stdout")).isEqualTo("hello");

    sh(id, "printf made-inside > src/b.txt");
    Reply read = client.get("/v1/leases/" + id + "/files?path=src/b.txt");
    assertThat(read.status()).isEqualTo(200);
    assertThat(read.text()).isEqualTo("made-inside");

    JsonObject listing = client.get("/v1/leases/" + id + "/files/list?path=src").json();
    assertThat(
            listing.getJsonArray("entries").stream().map(e -> ((JsonObject) e).getString("path")))
        .containsExactly("src/a.txt", "src/b.txt");
    assertThat(listing.getJsonArray("entries").getJsonObject(0).getString("type"))
        .isEqualTo("file");

    Reply escape = client.get("/v1/leases/" + id + "/files?path=../../etc/passwd");
    assertThat(escape.status()).isEqualTo(400);
    assertThat(escape.code()).isEqualTo("path_outside_workspace");
    assertThat(escape.field()).isEqualTo("path");
    sh(id, "ln -s /etc/shadow s");
    assertThat(client.get("/v1/leases/" + id + "/files?path=s").code()).isEqualTo("path_symlink");
    Reply missing = client.get("/v1/leases/" + id + "/files?path=nope");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.code()).isEqualTo("file_not_found");

    Reply tooBig =
        client.call(
            HttpMethod.PUT,
            "/v1/leases/" + id + "/files?path=big",
            Buffer.buffer(new byte[(int) MAX_FILE_BYTES + 1]));
    assertThat(tooBig.status()).isEqualTo(413);
    assertThat(tooBig.code()).isEqualTo("body_too_large");
    assertThat(client.post("/v1/leases/" + id + "/heartbeat", null).status()).isEqualTo(200);
  }

  /**
   * A reply sent before the request body was read (413 on the content-length) used to leave the
   * connection open with the body unread, so a keep-alive client's next request on it was never
   * read. Now the daemon says {@code Connection: close}, drops the rest of the body and closes the
   * connection. Checked on a plain socket: the whole (refused) body is sent, then the reply is read
   * to the end of the stream, which only comes if the daemon closes.
   */
  @Test
  void anEarlyErrorReplyClosesTheConnectionInsteadOfLeavingTheBodyUnread() throws Exception {
    String id = lease();
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", agent.port())) {
      socket.setSoTimeout(30_000);
      var out = socket.getOutputStream();
      out.write(
          ("PUT /v1/leases/"
                  + id
                  + "/files?path=big HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                  + TOKEN
                  + "\r\nContent-Length: "
                  + (MAX_FILE_BYTES + 1)
                  + "\r\n\r\n")
              .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      out.write(new byte[(int) MAX_FILE_BYTES + 1]);
      out.flush();
      // readAllBytes returns only at end of stream: the daemon closed the connection
      String reply =
          new String(
              socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
      assertThat(reply).startsWith("HTTP/1.1 413").containsIgnoringCase("connection: close");
    }
    assertThat(client.post("/v1/leases/" + id + "/heartbeat", null).status()).isEqualTo(200);
  }

  @Test
  void pauseResumeAndHibernate() {
    String id = lease();
    sh(id, "echo kept > notes");

    Reply paused = client.post("/v1/leases/" + id + "/pause", null);
    assertThat(paused.status()).as(paused.text()).isEqualTo(200);
    assertThat(paused.json().getString("state")).isEqualTo("paused");
    Reply refused =
        client.post("/v1/leases/" + id + "/exec", new JsonObject().put("command", "true"));
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.code()).isEqualTo("sandbox_paused");
    assertThat(client.post("/v1/leases/" + id + "/resume", null).json().getString("state"))
        .isEqualTo("leased");
    assertThat(sh(id, "cat notes").getString("stdout")).isEqualTo("kept\n");

    Reply hibernated = client.post("/v1/leases/" + id + "/hibernate", null);
    assertThat(hibernated.json().getString("state")).isEqualTo("hibernated");
    assertThat(client.get("/v1/leases/" + id + "/files?path=notes").code())
        .isEqualTo("sandbox_hibernated");
    client.post("/v1/leases/" + id + "/resume", null);
    assertThat(sh(id, "cat notes").getString("stdout")).isEqualTo("kept\n");
  }

  @Test
  void leaseWhoseTtlLapsesIsTerminated() {
    Reply created =
        client.post("/v1/leases", new JsonObject().put("template", "shell").put("ttl_ms", 3000));
    String id = created.json().getString("id");
    String sandboxId = created.json().getString("sandbox_id");

    // heartbeats keep it alive past two TTLs
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(7000);
    while (System.nanoTime() < until) {
      assertThat(client.post("/v1/leases/" + id + "/heartbeat", null).status()).isEqualTo(200);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
    }

    // watched through the listing: a call on the lease itself would renew it
    assertThat(eventually(Duration.ofSeconds(15), () -> !leaseIds().contains(id))).isTrue();
    Reply gone = client.get("/v1/leases/" + id);
    assertThat(gone.status()).isEqualTo(404);
    assertThat(gone.code()).isEqualTo("unknown_lease");
    assertThat(eventually(Duration.ofSeconds(10), () -> !Files.exists(workspace(sandboxId))))
        .as("the expired lease's sandbox is terminated")
        .isTrue();
  }

  @Test
  void claimTimeOptionsApply() {
    String id =
        lease(
            new JsonObject()
                .put("template", "shell")
                .put("env", new JsonObject().put("TASK", "42"))
                .put("files", new JsonObject().put("in/task.txt", "seeded")));
    assertThat(sh(id, "echo $TASK; cat in/task.txt").getString("stdout")).isEqualTo("42\nseeded");

    Reply widened =
        client.post(
            "/v1/leases",
            new JsonObject()
                .put("template", "shell")
                .put(
                    "network",
                    new JsonObject()
                        .put(
                            "egress",
                            new JsonArray()
                                .add(
                                    new JsonObject()
                                        .put("host", "pypi.org")
                                        .put("ports", new JsonArray().add(443))))));
    assertThat(widened.status()).as(widened.text()).isEqualTo(400);
    assertThat(widened.code()).isEqualTo("egress_widened");
  }

  @Test
  void badInputGetsTypedErrorsAndTheDaemonSurvives() {
    Reply malformed = client.call(HttpMethod.POST, "/v1/leases", Buffer.buffer("{not json"));
    assertThat(malformed.status()).isEqualTo(400);
    assertThat(malformed.code()).isEqualTo("malformed_json");

    Reply unknownTemplate = client.post("/v1/leases", new JsonObject().put("template", "cobol"));
    assertThat(unknownTemplate.status()).isEqualTo(404);
    assertThat(unknownTemplate.code()).isEqualTo("unknown_template");
    assertThat(unknownTemplate.field()).isEqualTo("template");

    Reply unknownField =
        client.post("/v1/leases", new JsonObject().put("template", "shell").put("tempalte", 1));
    assertThat(unknownField.code()).isEqualTo("unknown_field");
    assertThat(unknownField.field()).isEqualTo("tempalte");

    Reply badTtl =
        client.post("/v1/leases", new JsonObject().put("template", "shell").put("ttl_ms", "soon"));
    assertThat(badTtl.field()).isEqualTo("ttl_ms");

    Reply unknownLease =
        client.post("/v1/leases/lease-nope/exec", new JsonObject().put("command", "true"));
    assertThat(unknownLease.status()).isEqualTo(404);
    assertThat(unknownLease.code()).isEqualTo("unknown_lease");

    String id = lease();
    Reply noCommand = client.post("/v1/leases/" + id + "/exec", new JsonObject());
    assertThat(noCommand.status()).isEqualTo(400);
    assertThat(noCommand.field()).isEqualTo("command");
    Reply badArgv =
        client.post(
            "/v1/leases/" + id + "/exec", new JsonObject().put("argv", new JsonArray().add(1)));
    assertThat(badArgv.field()).isEqualTo("argv[0]");
    Reply hugeBody =
        client.call(
            HttpMethod.POST,
            "/v1/leases/" + id + "/exec",
            new JsonObject().put("command", "x".repeat((int) ApiRoutes.MAX_JSON_BYTES)).toBuffer());
    assertThat(hugeBody.status()).isEqualTo(413);
    assertThat(hugeBody.code()).isEqualTo("body_too_large");
    Reply noPath = client.get("/v1/leases/" + id + "/files");
    assertThat(noPath.field()).isEqualTo("path");
    Reply plainGetOnStream = client.get("/v1/leases/" + id + "/exec/stream");
    assertThat(plainGetOnStream.status()).isEqualTo(400);
    assertThat(client.get("/v1/nothing-here").code()).isEqualTo("not_found");

    assertThat(sh(id, "echo still here").getString("stdout")).isEqualTo("still here\n");
    assertThat(client.get("/health").json().getString("status")).isEqualTo("ok");
  }

  @Test
  void everyV1CallNeedsTheToken() {
    Reply none = client.call(HttpMethod.GET, "/v1/pool", null, null);
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.code()).isEqualTo("unauthorized");
    Reply wrong = client.call(HttpMethod.POST, "/v1/leases", Buffer.buffer("{}"), "guess");
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(client.call(HttpMethod.GET, "/health", null, null).status()).isEqualTo(200);

    Reply pool = client.get("/v1/pool");
    assertThat(pool.status()).isEqualTo(200);
    assertThat(pool.json().getString("isolation")).isEqualTo("namespace");
    JsonObject templates = client.get("/v1/templates").json();
    assertThat(templates.getJsonObject("levels").fieldNames())
        .containsExactlyInAnyOrder("process", "namespace", "vm");
    assertThat(
            templates.getJsonArray("templates").stream()
                .map(t -> ((JsonObject) t).getString("name")))
        .contains("shell", "python");
  }
}
