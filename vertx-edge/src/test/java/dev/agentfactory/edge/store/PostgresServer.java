package dev.agentfactory.edge.store;

import dev.agentfactory.testing.TestPorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real PostgreSQL server for tests: the Debian package's binaries ({@code
 * /usr/lib/postgresql/<version>/bin}), a fresh cluster in a temporary directory ({@code initdb},
 * trust authentication on 127.0.0.1 only, user {@code af}), on a free port, stopped and deleted by
 * {@link #close}. Run as root (CI), the server runs as the package's {@code postgres} user through
 * {@code setpriv}, since PostgreSQL refuses to run as root.
 *
 * <p>Without the binaries the test is skipped, unless {@code AF_POSTGRES_IT_REQUIRED=true} (set by
 * {@code .ci/run}, which installs the package): then it fails, naming the package.
 */
public final class PostgresServer implements AutoCloseable {

  private static final String REQUIRED = "AF_POSTGRES_IT_REQUIRED";
  private static final AtomicInteger DATABASES = new AtomicInteger();

  private final Path base;
  private final List<String> command;
  private final int port;
  private final Thread cleanup;
  private volatile Process process;

  private PostgresServer(Path base, List<String> command, int port) {
    this.base = base;
    this.command = command;
    this.port = port;
    this.cleanup =
        new Thread(
            () -> {
              if (process != null) {
                process.destroyForcibly();
              }
            },
            "postgres-test-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
  }

  /**
   * One server for a test class, started before its {@code @BeforeAll} methods and stopped after
   * its {@code @AfterAll} methods:
   *
   * <pre>{@code
   * @RegisterExtension static final PostgresServer.PerClass postgres = new PostgresServer.PerClass();
   * ... postgres.server().createDatabase() ...
   * }</pre>
   */
  public static final class PerClass implements BeforeAllCallback, AfterAllCallback {
    private PostgresServer server;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
      server = start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
      if (server != null) {
        server.close();
        server = null;
      }
    }

    public PostgresServer server() {
      return server;
    }
  }

  /** Starts a server, or skips the calling test when PostgreSQL is not installed (see above). */
  public static PostgresServer start() throws Exception {
    Optional<Path> bin = binaries();
    if (bin.isEmpty()) {
      String why =
          "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres; Debian: apt-get"
              + " install postgresql)";
      if (Boolean.parseBoolean(System.getenv(REQUIRED))) {
        throw new IllegalStateException(why + " and " + REQUIRED + "=true");
      }
      Assumptions.abort(why);
    }
    Path base = Files.createTempDirectory("af-postgres-");
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path data = base.resolve("data");
    Files.createDirectory(
        data, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    List<String> asUser = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name"))) {
      UserPrincipal postgres =
          base.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
      Files.setOwner(data, postgres);
      asUser.addAll(
          List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"));
    }
    Path log = base.resolve("postgres.log");
    List<String> initdb = new ArrayList<>(asUser);
    initdb.addAll(
        List.of(
            bin.get().resolve("initdb").toString(),
            "-D",
            data.toString(),
            "-U",
            "af",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync"));
    Process init =
        new ProcessBuilder(initdb).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!init.waitFor(60, TimeUnit.SECONDS) || init.exitValue() != 0) {
      init.destroyForcibly();
      throw new IllegalStateException("initdb failed:\n" + Files.readString(log));
    }
    int port = TestPorts.free();
    List<String> server = new ArrayList<>(asUser);
    server.addAll(
        List.of(
            bin.get().resolve("postgres").toString(),
            "-D",
            data.toString(),
            "-p",
            String.valueOf(port),
            "-k",
            data.toString(),
            "-c",
            "listen_addresses=127.0.0.1",
            // a test database: durability is not what is tested here
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off"));
    PostgresServer started = new PostgresServer(base, List.copyOf(server), port);
    try {
      started.startServer();
    } catch (Exception e) {
      started.close();
      throw e;
    }
    return started;
  }

  /** Starts the server process on the cluster and port of this instance; waits until it answers. */
  private void startServer() throws Exception {
    Path log = base.resolve("postgres.log");
    process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Connection c = DriverManager.getConnection(url("postgres"))) {
        return;
      } catch (SQLException notYet) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "PostgreSQL did not start on port " + port + ":\n" + Files.readString(log), notYet);
        }
        Thread.sleep(50);
      }
    }
  }

  /** Stops the server (fast shutdown: open connections are closed); its data stays. */
  public void stop() throws Exception {
    Process p = process;
    if (p != null && p.isAlive()) {
      new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * Freezes the server and every backend (SIGSTOP): connections stay open and new ones are even
   * accepted by the kernel, but nothing answers - what a network partition or a hung host looks
   * like to a client. {@link #thaw} resumes it.
   */
  public void freeze() throws Exception {
    signal("-STOP");
  }

  /** Resumes the server after {@link #freeze}. */
  public void thaw() throws Exception {
    signal("-CONT");
  }

  private void signal(String signal) throws Exception {
    Process p = process;
    List<String> command = new java.util.ArrayList<>(List.of("kill", signal));
    command.add(String.valueOf(p.pid()));
    p.toHandle().descendants().forEach(d -> command.add(String.valueOf(d.pid())));
    int exit = new ProcessBuilder(command).inheritIO().start().waitFor();
    if (exit != 0) {
      throw new IllegalStateException(String.join(" ", command) + " exited with " + exit);
    }
  }

  /** Starts the server again after {@link #stop}, on the same port and data. */
  public void restart() throws Exception {
    stop();
    startServer();
  }

  /** The JDBC URL of database {@code name} for user {@code af}. */
  public String url(String name) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + name + "?user=af";
  }

  /** Creates an empty database of its own for one test and returns its JDBC URL. */
  public String createDatabase() throws SQLException {
    return createDatabase("");
  }

  /**
   * As {@link #createDatabase()}, with {@code options} after {@code CREATE DATABASE <name>}: its
   * collation, say, where the cluster's is {@code C}.
   */
  public String createDatabase(String options) throws SQLException {
    String name = "t" + DATABASES.incrementAndGet();
    try (Connection c = DriverManager.getConnection(url("postgres"));
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name + (options.isEmpty() ? "" : " " + options));
    }
    return url(name);
  }

  /**
   * Terminates every connection to the database of {@code url} (as a failover or an idle timeout
   * does) and returns how many there were.
   */
  public int dropConnections(String url) throws SQLException {
    String name = url.substring(url.lastIndexOf('/') + 1, url.indexOf('?'));
    try (Connection c = DriverManager.getConnection(url("postgres"));
        Statement s = c.createStatement();
        java.sql.ResultSet rs =
            s.executeQuery(
                "SELECT COUNT(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                    + " WHERE datname = '"
                    + name
                    + "'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** Fast shutdown (SIGINT: open connections are closed), then the cluster is deleted. */
  @Override
  public void close() throws Exception {
    try {
      stop();
    } finally {
      Runtime.getRuntime().removeShutdownHook(cleanup);
      try (Stream<Path> files = Files.walk(base)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private static Optional<Path> binaries() throws IOException {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(root)) {
      return versions
          .filter(v -> v.getFileName().toString().matches("\\d+"))
          .filter(v -> Files.isExecutable(v.resolve("bin/postgres")))
          .max(Comparator.comparingInt(v -> Integer.parseInt(v.getFileName().toString())))
          .map(v -> v.resolve("bin"));
    }
  }
}
