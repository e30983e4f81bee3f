package dev.agentfactory.sandbox.daemon;

import dev.agentfactory.sandbox.driver.Isolation;
import dev.agentfactory.sandbox.local.SandboxConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The standalone sandbox-agent's settings, parsed once from the command line ({@link #parse}) and
 * validated here; errors name the option ({@code --port must be in [0, 65535], was 70000}).
 *
 * @param host the address the API listens on; anything but loopback needs a {@code token}
 * @param port the API port; 0 picks a free one
 * @param dir the pool's work dir (workspaces, logs, hibernated archives)
 * @param poolSize warm {@code shell} sandboxes kept ready
 * @param isolation the isolation level of every sandbox
 * @param uidBase the first host uid for sandboxes; each is claimed before use, so the range may
 *     overlap that of another pool seeing the same {@code /run} (an embedded node's starts at
 *     200000): they share it
 * @param uidCount how many uids from {@code uidBase}; also caps the live sandboxes
 * @param token the bearer token every {@code /v1} call must present; null for none
 * @param templatesDir extra template JSON files ({@code *.json}) added to the built-ins; null for
 *     none
 * @param leaseTtl how long a lease lives without a call or heartbeat, unless its request says
 * @param maxLeaseTtl the longest TTL a lease request may ask for
 * @param maxFileBytes the largest file a PUT may upload
 */
public record DaemonConfig(
    String host,
    int port,
    Path dir,
    int poolSize,
    Isolation isolation,
    int uidBase,
    int uidCount,
    String token,
    Path templatesDir,
    Duration leaseTtl,
    Duration maxLeaseTtl,
    long maxFileBytes) {

  public static final int DEFAULT_PORT = 8090;
  public static final int DEFAULT_UID_BASE = 220_000;
  public static final int DEFAULT_UID_COUNT = 10_000;
  public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(60);
  public static final Duration DEFAULT_MAX_LEASE_TTL = Duration.ofHours(24);
  public static final long DEFAULT_MAX_FILE_BYTES = 16L << 20;

  /** The longest lease TTL an option may set, in seconds: ten years. */
  static final long MAX_TTL_SECONDS = 10L * 366 * 24 * 3600;

  /** The environment variable read for the token when {@code --token} is not given. */
  public static final String TOKEN_ENV = "AF_SANDBOX_AGENT_TOKEN";

  public DaemonConfig {
    require(host != null && !host.isBlank(), "--host", "must be set");
    require(port >= 0 && port <= 65535, "--port", "must be in [0, 65535], was " + port);
    require(dir != null && dir.isAbsolute(), "--dir", "must be an absolute path, was " + dir);
    require(
        poolSize >= 0 && poolSize <= 1000, "--pool-size", "must be in [0, 1000], was " + poolSize);
    require(isolation != null, "--isolation", "must be set");
    require(uidBase >= 1000, "--uid-base", "must be >= 1000, was " + uidBase);
    require(
        uidCount >= 1 && (long) uidBase + uidCount <= Integer.MAX_VALUE,
        "--uid-count",
        "must be >= 1 with --uid-base + --uid-count below 2^31, was " + uidCount);
    require(token == null || token.length() >= 16, "--token", "must be at least 16 characters");
    require(
        token != null || isLoopback(host),
        "--token",
        "is required when listening on " + host + " (not loopback): set --token or " + TOKEN_ENV);
    require(
        leaseTtl != null && leaseTtl.toMillis() >= 1000,
        "--lease-ttl-s",
        "must be at least 1 second");
    require(
        maxLeaseTtl != null && maxLeaseTtl.compareTo(leaseTtl) >= 0,
        "--max-lease-ttl-s",
        "must be at least --lease-ttl-s");
    require(
        maxFileBytes >= 1 && maxFileBytes <= 1L << 30,
        "--max-file-bytes",
        "must be in [1, 1073741824], was " + maxFileBytes);
  }

  /** Loopback-only defaults under {@code dir}, for tests and embedding. */
  public static DaemonConfig loopback(Path dir) {
    return new DaemonConfig(
        "127.0.0.1",
        DEFAULT_PORT,
        dir,
        2,
        Isolation.NAMESPACE,
        DEFAULT_UID_BASE,
        DEFAULT_UID_COUNT,
        null,
        null,
        DEFAULT_LEASE_TTL,
        DEFAULT_MAX_LEASE_TTL,
        DEFAULT_MAX_FILE_BYTES);
  }

  public DaemonConfig withPort(int value) {
    return with(c -> c.port = value);
  }

  public DaemonConfig withUidRange(int base, int count) {
    return with(
        c -> {
          c.uidBase = base;
          c.uidCount = count;
        });
  }

  public DaemonConfig withToken(String value) {
    return with(c -> c.token = value);
  }

  public DaemonConfig withPoolSize(int value) {
    return with(c -> c.poolSize = value);
  }

  public DaemonConfig withMaxFileBytes(long value) {
    return with(c -> c.maxFileBytes = value);
  }

  /** A copy with {@code change} applied, validated by the constructor as any config is. */
  private DaemonConfig with(Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return new DaemonConfig(
        c.host,
        c.port,
        c.dir,
        c.poolSize,
        c.isolation,
        c.uidBase,
        c.uidCount,
        c.token,
        c.templatesDir,
        c.leaseTtl,
        c.maxLeaseTtl,
        c.maxFileBytes);
  }

  /** The fields of a copy in the making; see {@link #with}. */
  private static final class Copy {
    String host;
    int port;
    Path dir;
    int poolSize;
    Isolation isolation;
    int uidBase;
    int uidCount;
    String token;
    Path templatesDir;
    Duration leaseTtl;
    Duration maxLeaseTtl;
    long maxFileBytes;

    Copy(DaemonConfig of) {
      host = of.host;
      port = of.port;
      dir = of.dir;
      poolSize = of.poolSize;
      isolation = of.isolation;
      uidBase = of.uidBase;
      uidCount = of.uidCount;
      token = of.token;
      templatesDir = of.templatesDir;
      leaseTtl = of.leaseTtl;
      maxLeaseTtl = of.maxLeaseTtl;
      maxFileBytes = of.maxFileBytes;
    }
  }

  /**
   * Parses {@code --name value} or {@code --name=value} options; unknown options are errors.
   *
   * @param env the process environment, for {@link #TOKEN_ENV}
   * @throws IllegalArgumentException naming the option
   */
  public static DaemonConfig parse(String[] args, Map<String, String> env) {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      require(a.startsWith("--"), a, "is not an option (options look like --port 8090)");
      String name;
      String value;
      int eq = a.indexOf('=');
      if (eq > 0) {
        name = a.substring(0, eq);
        value = a.substring(eq + 1);
      } else {
        name = a;
        require(i + 1 < args.length, name, "needs a value");
        value = args[++i];
      }
      require(OPTIONS.containsKey(name), name, "is not a known option; known: " + OPTIONS.keySet());
      opts.put(name, value);
    }
    String token = opts.getOrDefault("--token", env.get(TOKEN_ENV));
    Duration ttl =
        Duration.ofSeconds(
            secondsOpt(opts, "--lease-ttl-s", DEFAULT_LEASE_TTL.toSeconds(), MAX_TTL_SECONDS));
    return new DaemonConfig(
        opts.getOrDefault("--host", "127.0.0.1"),
        intOpt(opts, "--port", DEFAULT_PORT),
        opts.containsKey("--dir")
            ? Path.of(opts.get("--dir")).toAbsolutePath().normalize()
            : defaultDir(opts.getOrDefault("--isolation", "namespace")),
        intOpt(opts, "--pool-size", 2),
        isolation(opts.getOrDefault("--isolation", "namespace")),
        intOpt(opts, "--uid-base", DEFAULT_UID_BASE),
        intOpt(opts, "--uid-count", DEFAULT_UID_COUNT),
        token == null || token.isEmpty() ? null : token,
        opts.containsKey("--templates") ? Path.of(opts.get("--templates")).toAbsolutePath() : null,
        ttl,
        Duration.ofSeconds(
            secondsOpt(
                opts,
                "--max-lease-ttl-s",
                Math.max(DEFAULT_MAX_LEASE_TTL.toSeconds(), ttl.toSeconds()),
                MAX_TTL_SECONDS)),
        longOpt(opts, "--max-file-bytes", DEFAULT_MAX_FILE_BYTES));
  }

  /** Option name → what it means, for errors and {@code --help}. */
  public static final Map<String, String> OPTIONS =
      Map.ofEntries(
          Map.entry("--host", "address to listen on (default 127.0.0.1)"),
          Map.entry("--port", "port to listen on (default 8090; 0 picks one)"),
          Map.entry("--dir", "work dir for workspaces and logs (default data/sandbox-agent)"),
          Map.entry("--pool-size", "warm shell sandboxes kept ready (default 2)"),
          Map.entry("--isolation", "namespace (default) or process"),
          Map.entry(
              "--token", "bearer token for /v1 (or " + TOKEN_ENV + "); required off loopback"),
          Map.entry("--uid-base", "first host uid for sandboxes (default 220000)"),
          Map.entry("--uid-count", "how many uids from --uid-base (default 10000)"),
          Map.entry("--templates", "directory of extra template *.json files"),
          Map.entry("--lease-ttl-s", "lease TTL without calls or heartbeats (default 60)"),
          Map.entry("--max-lease-ttl-s", "longest TTL a lease may ask for (default 86400)"),
          Map.entry("--max-file-bytes", "largest file upload (default 16777216)"));

  /**
   * {@code data/sandbox-agent}, unless sandbox uids cannot traverse its parents (a checkout under
   * {@code /root} or a 0700 temp dir): then a directory under the system temp dir named after it,
   * as the node does for its sandboxes.
   */
  static Path defaultDir(String isolation) {
    Path preferred = Path.of("data/sandbox-agent").toAbsolutePath().normalize();
    if (!isolation.equals("namespace") || SandboxConfig.untraversableParent(preferred).isEmpty()) {
      return preferred;
    }
    String key = Integer.toHexString(preferred.toString().hashCode() & 0x7fffffff);
    return Path.of(System.getProperty("java.io.tmpdir"), "agent-factory-" + key, "sandbox-agent");
  }

  private static Isolation isolation(String id) {
    try {
      return Isolation.fromId(id);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--isolation must be namespace, process or vm, was " + id);
    }
  }

  /**
   * An int option: a value beyond int is refused here, never narrowed ({@code --port 4294975386}
   * would otherwise become 8090), so the range checks of the constructor see what was given.
   */
  private static int intOpt(Map<String, String> opts, String name, int fallback) {
    long value = longOpt(opts, name, fallback);
    require(
        value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE,
        name,
        "must be an integer below 2^31, was " + value);
    return (int) value;
  }

  /**
   * A TTL in seconds, from 1 to {@code max}: a lease's expiry and the TTL in milliseconds must stay
   * computable ({@link Duration#toMillis()} overflows far below {@code Long.MAX_VALUE} seconds).
   */
  private static long secondsOpt(Map<String, String> opts, String name, long fallback, long max) {
    long value = longOpt(opts, name, fallback);
    require(
        value >= 1 && value <= max, name, "must be in [1, " + max + "] (10 years), was " + value);
    return value;
  }

  private static long longOpt(Map<String, String> opts, String name, long fallback) {
    String v = opts.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      return Long.parseLong(v.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be an integer, was '" + v + "'");
    }
  }

  static boolean isLoopback(String host) {
    if (host.equals("localhost")) {
      return true;
    }
    try {
      // literal addresses only: no name lookups while validating
      if (!host.matches("[0-9.]+|[0-9a-fA-F:]+")) {
        return false;
      }
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static void require(boolean ok, String option, String message) {
    if (!ok) {
      throw new IllegalArgumentException(option + " " + message);
    }
  }
}
