package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.InvalidLeaseException;
import dev.agentfactory.sandbox.LeaseOptions;
import dev.agentfactory.sandbox.Sandbox;
import dev.agentfactory.sandbox.SandboxEvent;
import dev.agentfactory.sandbox.SandboxState;
import dev.agentfactory.sandbox.egress.EgressDecision;
import dev.agentfactory.sandbox.egress.EgressPolicy;
import dev.agentfactory.sandbox.egress.EgressRule;
import dev.agentfactory.sandbox.template.TemplateCatalog;
import dev.agentfactory.sandbox.template.TemplateParser;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Egress from real namespace sandboxes through the host-side proxy, against real HTTP servers on
 * the host's loopback (ephemeral ports), and claim-time customisation of warm sandboxes.
 */
class EgressIT {

  private static final int UID_BASE = 430_000;
  private static final int UID_COUNT = 40;

  /**
   * curl through the sandbox's proxy, even for loopback names (the default NO_PROXY skips them).
   */
  private static final Map<String, String> VIA_PROXY = Map.of("NO_PROXY", "", "no_proxy", "");

  private static HttpServer allowed;
  private static HttpServer other;
  private static final List<String> seen = new CopyOnWriteArrayList<>();
  private static LocalSandboxPool pool;
  private static Path workDir;
  private static final EventRecorder events = new EventRecorder();
  private static int port;

  @BeforeAll
  static void start() throws IOException {
    allowed = server("allowed");
    other = server("other");
    port = allowed.getAddress().getPort();
    String web =
        """
        {"name": "web", "limits": {"memory_mb": 256},
         "network": {"egress": [
           {"host": "localhost", "ports": [%d], "methods": ["GET", "HEAD"]},
           {"host": "*.example.com", "ports": [443], "methods": ["CONNECT"]}]},
         "warm_pool_size": 1, "requires": ["/usr/bin/curl"]}
        """
            .formatted(port);
    workDir = ItDirs.workDir("egress-");
    pool =
        new LocalSandboxPool(
            SandboxConfig.defaults(workDir)
                .withUidRange(UID_BASE, UID_COUNT)
                .withWarmTarget("shell", 1),
            TemplateCatalog.builtIn().with(TemplateParser.parse(web)));
    pool.addListener(events);
  }

  private static HttpServer server(String name) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    s.createContext(
        "/",
        exchange -> {
          seen.add(
              name
                  + " "
                  + exchange.getRequestMethod()
                  + " "
                  + exchange.getRequestHeaders().getFirst("Host"));
          byte[] body = ("hello from " + name + "\n").getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    s.start();
    return s;
  }

  @AfterAll
  static void stop() {
    if (pool != null) {
      pool.close();
      LeakCheck.assertNothingLeftBy(workDir, UID_BASE, UID_COUNT);
    }
    allowed.stop(0);
    other.stop(0);
  }

  private static Sandbox lease(String template, LeaseOptions options) {
    return pool.lease(template, options).toCompletableFuture().join();
  }

  /** Runs a script and returns stdout; curl's -w prints the status code (000: no response). */
  private static String run(Sandbox sandbox, String script) {
    CollectingListener out = new CollectingListener();
    sandbox
        .exec(
            new ExecRequest(
                List.of("/bin/sh", "-c", script), VIA_PROXY, Duration.ofSeconds(20), 1 << 20),
            out)
        .toCompletableFuture()
        .join();
    return out.stdout();
  }

  private static String curl(String args) {
    return "curl -s -o /dev/null -w '%{http_code}\\n' --max-time 5 " + args;
  }

  @Test
  void withoutAPolicyNothingIsReachableNotEvenTheHostsLoopback() {
    int requestsBefore = seen.size();
    try (Sandbox sandbox = lease("shell", LeaseOptions.NONE)) {
      String out =
          run(
              sandbox,
              curl("http://127.0.0.1:" + port + "/")
                  + "; "
                  + curl("-x http://127.0.0.1:3128 http://localhost:" + port + "/")
                  + "; "
                  + curl("http://1.1.1.1/")
                  + "; test -e /.af-egress.sock && echo socket; echo ${HTTP_PROXY:-none}");

      assertThat(out).isEqualTo("000\n000\n000\nnone\n");
    }
    assertThat(seen).hasSize(requestsBefore);
  }

  @Test
  void allowedGetGoesThroughAndEverythingElseIsRefusedByTheProxy() {
    int otherPort = other.getAddress().getPort();
    try (Sandbox sandbox = lease("web", LeaseOptions.NONE)) {
      String out =
          run(
              sandbox,
              "curl -s --max-time 5 http://localhost:"
                  + port
                  + "/; "
                  + curl("-X POST -d x http://localhost:" + port + "/")
                  + "; "
                  + curl("http://localhost:" + otherPort + "/")
                  + "; "
                  + curl("http://127.0.0.1:" + port + "/")
                  + "; "
                  + curl("http://1.1.1.1/")
                  // around the proxy: the sandbox's own loopback and no route anywhere else
                  + "; "
                  + curl("--noproxy '*' http://127.0.0.1:" + port + "/")
                  + "; "
                  + curl("--noproxy '*' http://1.1.1.1/"));

      assertThat(out.split("\n"))
          .containsExactly("hello from allowed", "403", "403", "403", "403", "000", "000");
      assertThat(seen).noneMatch(s -> s.startsWith("other")).doesNotContain("allowed POST");
      List<EgressDecision> decisions = decisionsOf(sandbox.id(), 5);
      assertThat(decisions)
          .extracting(d -> d.method() + " " + d.host() + ":" + d.port() + " " + d.reason())
          .containsExactly(
              "GET localhost:" + port + " allowed",
              "POST localhost:" + port + " method_not_allowed",
              "GET localhost:" + otherPort + " not_listed",
              "GET 127.0.0.1:" + port + " not_listed",
              "GET 1.1.1.1:80 not_listed");
      assertThat(decisions.get(0).address()).isEqualTo("127.0.0.1");
      assertThat(events.of(sandbox.id()))
          .filteredOn(SandboxEvent::isEgress)
          .extracting(SandboxEvent::reason)
          .startsWith(SandboxEvent.EGRESS_ALLOWED, SandboxEvent.EGRESS_DENIED);
    }
  }

  @Test
  void aLyingHostHeaderChangesNeitherTheDecisionNorWhereTheRequestGoes() {
    int otherPort = other.getAddress().getPort();
    try (Sandbox sandbox = lease("web", LeaseOptions.NONE)) {
      String out =
          run(
              sandbox,
              curl("-H 'Host: localhost:" + port + "' http://localhost:" + otherPort + "/")
                  + "; curl -s --max-time 5 -H 'Host: evil.example:"
                  + otherPort
                  + "' http://localhost:"
                  + port
                  + "/");

      assertThat(out).isEqualTo("403\nhello from allowed\n");
      assertThat(seen).noneMatch(s -> s.startsWith("other"));
      // the request reached the allowed server carrying the request line's host, not the lie
      assertThat(seen).contains("allowed GET localhost:" + port).noneMatch(s -> s.contains("evil"));
    }
  }

  @Test
  void aLeaseCanNarrowButNotWidenTheTemplatesAllowlist() {
    // wait for the warm sandbox an earlier test used to be replaced, so the count below is stable
    assertThat(
            HostProcesses.eventually(
                Duration.ofSeconds(20), () -> pool.stats().ready().get("web") >= 1))
        .isTrue();
    int readyBefore = pool.stats().ready().get("web");
    LeaseOptions widened =
        LeaseOptions.NONE.withEgress(
            EgressPolicy.of(
                EgressRule.of("localhost", port, "HEAD"),
                EgressRule.of("localhost", port, "POST")));

    assertThatThrownBy(() -> lease("web", widened))
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOf(InvalidLeaseException.class)
        .hasMessageStartingWith("egress[1] (localhost ports=[" + port + "] methods=[POST])")
        .satisfies(e -> assertThat(((InvalidLeaseException) e).code()).isEqualTo("egress_widened"));
    assertThat(pool.stats().ready().get("web")).isEqualTo(readyBefore);

    try (Sandbox sandbox =
        lease(
            "web",
            LeaseOptions.NONE.withEgress(
                EgressPolicy.of(EgressRule.of("localhost", port, "HEAD"))))) {
      String out =
          run(
              sandbox,
              curl("-I http://localhost:" + port + "/")
                  + "; "
                  + curl("http://localhost:" + port + "/"));
      assertThat(out).isEqualTo("200\n403\n");
    }
    try (Sandbox sandbox = lease("web", LeaseOptions.NONE.withEgress(EgressPolicy.NONE))) {
      assertThat(run(sandbox, curl("http://localhost:" + port + "/"))).isEqualTo("403\n");
    }
  }

  @Test
  void claimTimeEnvAndFilesReachAWarmSandboxWithoutAColdStart() throws IOException {
    assertThat(
            HostProcesses.eventually(
                Duration.ofSeconds(20), () -> pool.stats().ready().get("shell") >= 1))
        .isTrue();
    Set<String> warm =
        events.all().stream()
            .filter(e -> e.state() == SandboxState.READY && e.template().equals("shell"))
            .map(SandboxEvent::sandboxId)
            .collect(Collectors.toSet());
    LeaseOptions options =
        LeaseOptions.NONE
            .withEnv(Map.of("TASK_ID", "task-42", "LANG", "C"))
            .withFiles(Map.of("task/input.json", "{\"n\": 7}\n", "notes.txt", "hi"));

    try (LocalSandbox sandbox = (LocalSandbox) lease("shell", options)) {
      assertThat(warm).contains(sandbox.id());
      CollectingListener out = new CollectingListener();
      sandbox
          .exec(
              new ExecRequest(
                  List.of(
                      "/bin/sh",
                      "-c",
                      "echo $TASK_ID $LANG; cat task/input.json notes.txt; echo; id -u"),
                  Map.of("LANG", "C.UTF-8"),
                  Duration.ofSeconds(10),
                  1 << 20),
              out)
          .toCompletableFuture()
          .join();

      String[] lines = out.stdout().split("\n");
      // the request's own env wins over the lease's
      assertThat(lines[0]).isEqualTo("task-42 C.UTF-8");
      assertThat(lines[1]).isEqualTo("{\"n\": 7}");
      assertThat(lines[2]).isEqualTo("hi");
      Path file = sandbox.workspace().resolve("task/input.json");
      assertThat(Files.getAttribute(file, "unix:uid")).isEqualTo(sandbox.uid());
      assertThat(Files.getAttribute(file.getParent(), "unix:uid")).isEqualTo(sandbox.uid());
    }
  }

  @Test
  void theLeasePolicyAndEnvSurviveHibernation() {
    LeaseOptions options =
        LeaseOptions.NONE
            .withEnv(Map.of("TASK_ID", "t-7"))
            .withEgress(EgressPolicy.of(EgressRule.of("localhost", port, "HEAD")));
    try (Sandbox sandbox = lease("web", options)) {
      sandbox.hibernate().toCompletableFuture().join();
      sandbox.resume().toCompletableFuture().join();

      String out =
          run(
              sandbox,
              "echo $TASK_ID; "
                  + curl("-I http://localhost:" + port + "/")
                  + "; "
                  + curl("http://localhost:" + port + "/"));

      assertThat(out).isEqualTo("t-7\n200\n403\n");
    }
  }

  @Test
  void fileOptionsThatLeaveTheWorkspaceAreRejected() {
    assertThatThrownBy(() -> LeaseOptions.NONE.withFiles(Map.of("../escape", "x")))
        .isInstanceOf(InvalidLeaseException.class)
        .hasMessageStartingWith("files['../escape']");
    assertThatThrownBy(() -> LeaseOptions.NONE.withFiles(Map.of("/etc/passwd", "x")))
        .isInstanceOf(InvalidLeaseException.class);
  }

  private static List<EgressDecision> decisionsOf(String sandboxId, int atLeast) {
    HostProcesses.eventually(
        Duration.ofSeconds(5),
        () -> events.of(sandboxId).stream().filter(SandboxEvent::isEgress).count() >= atLeast);
    return events.of(sandboxId).stream()
        .filter(SandboxEvent::isEgress)
        .map(SandboxEvent::egress)
        .toList();
  }
}
