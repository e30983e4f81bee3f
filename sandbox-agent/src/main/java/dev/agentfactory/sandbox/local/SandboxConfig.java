package dev.agentfactory.sandbox.local;

import dev.agentfactory.sandbox.driver.Isolation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The resolved configuration of a {@link LocalSandboxPool}, validated once here; errors name the
 * field.
 *
 * <pre>{@code
 * SandboxConfig config = SandboxConfig.defaults(Path.of("/var/lib/agent-factory/sandboxes"))
 *     .withWarmTarget("shell", 8);
 * }</pre>
 *
 * @param workDir where the pool keeps af-init, workspaces and logs; one pool per directory, every
 *     parent must be traversable ({@code o+x}) by the sandbox uids
 * @param isolation the isolation driver; {@code namespace} by default
 * @param warmTargets how many ready sandboxes to keep per template
 * @param uidBase the first host uid handed to sandboxes (when the agent runs as root)
 * @param uidCount how many uids from {@code uidBase} on; also caps the live sandboxes
 * @param tmpfsBytes size cap of each sandbox's {@code /tmp}
 * @param bwrapPath the bubblewrap executable
 * @param maxConcurrentStarts how many warm-pool starts run at once: bounds the refill rate
 * @param startTimeout how long a sandbox may take to report ready
 * @param fileTimeout how long one workspace file operation may take before it fails with {@code
 *     file_timeout}; bounds what a hostile sandbox can make a caller wait (see {@code
 *     WorkspaceFiles})
 */
public record SandboxConfig(
    Path workDir,
    Isolation isolation,
    Map<String, Integer> warmTargets,
    int uidBase,
    int uidCount,
    long tmpfsBytes,
    Path bwrapPath,
    int maxConcurrentStarts,
    Duration startTimeout,
    Duration fileTimeout) {

  public static final int DEFAULT_UID_BASE = 200_000;
  public static final int DEFAULT_UID_COUNT = 10_000;
  public static final long DEFAULT_TMPFS_BYTES = 256L << 20;
  public static final int DEFAULT_WARM_TARGET = 2;
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_FILE_TIMEOUT = Duration.ofSeconds(60);

  public SandboxConfig {
    require(workDir != null, "workDir", "must be set");
    require(workDir.isAbsolute(), "workDir", "must be absolute, was " + workDir);
    require(isolation != null, "isolation", "must be set");
    require(warmTargets != null, "warmTargets", "must be set");
    warmTargets = Map.copyOf(warmTargets);
    warmTargets.forEach(
        (template, target) -> {
          require(
              SandboxTemplate.NAMES.contains(template),
              "warmTargets",
              "unknown template '" + template + "', known: " + SandboxTemplate.NAMES);
          require(
              target >= 0 && target <= 1000,
              "warmTargets",
              "target of '" + template + "' must be in [0, 1000], was " + target);
        });
    // uids below 1000 are the host's system accounts; sharing one would share its files
    require(uidBase >= 1000, "uidBase", "must be >= 1000, was " + uidBase);
    require(uidCount >= 1, "uidCount", "must be >= 1, was " + uidCount);
    require(
        (long) uidBase + uidCount <= Integer.MAX_VALUE,
        "uidCount",
        "uidBase + uidCount must stay below " + Integer.MAX_VALUE);
    require(tmpfsBytes >= 1 << 20, "tmpfsBytes", "must be >= 1 MiB, was " + tmpfsBytes);
    require(bwrapPath != null, "bwrapPath", "must be set");
    require(
        maxConcurrentStarts >= 1 && maxConcurrentStarts <= 64,
        "maxConcurrentStarts",
        "must be in [1, 64], was " + maxConcurrentStarts);
    require(
        startTimeout != null && !startTimeout.isNegative() && !startTimeout.isZero(),
        "startTimeout",
        "must be positive, was " + startTimeout);
    require(
        fileTimeout != null && !fileTimeout.isNegative() && !fileTimeout.isZero(),
        "fileTimeout",
        "must be positive, was " + fileTimeout);
  }

  /** The defaults: namespace isolation, two warm {@code shell} sandboxes, uids from 200000. */
  /**
   * The first parent of {@code workDir} that sandbox uids cannot traverse (no {@code o+x}), if any.
   * A pool that runs sandboxes as their own uids refuses such a work dir; callers choosing a
   * default can use this to pick another. Parents that do not exist yet are skipped; one that
   * exists but cannot be inspected counts as blocking.
   */
  public static Optional<Path> untraversableParent(Path workDir) {
    for (Path p = workDir.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
      if (!Files.exists(p)) {
        continue; // created later, with the usual 0755
      }
      try {
        if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
          return Optional.of(p);
        }
      } catch (IOException | UnsupportedOperationException e) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  public static SandboxConfig defaults(Path workDir) {
    return new SandboxConfig(
        workDir,
        Isolation.NAMESPACE,
        Map.of(SandboxTemplate.SHELL, DEFAULT_WARM_TARGET),
        DEFAULT_UID_BASE,
        DEFAULT_UID_COUNT,
        DEFAULT_TMPFS_BYTES,
        defaultBwrap(),
        2,
        DEFAULT_START_TIMEOUT,
        DEFAULT_FILE_TIMEOUT);
  }

  public SandboxConfig withIsolation(Isolation value) {
    return with(c -> c.isolation = value);
  }

  public SandboxConfig withWarmTarget(String template, int target) {
    Map<String, Integer> targets = new HashMap<>(warmTargets);
    targets.put(template, target);
    return with(c -> c.warmTargets = targets);
  }

  public SandboxConfig withUidRange(int base, int count) {
    return with(
        c -> {
          c.uidBase = base;
          c.uidCount = count;
        });
  }

  public SandboxConfig withBwrapPath(Path value) {
    return with(c -> c.bwrapPath = value);
  }

  public SandboxConfig withTmpfsBytes(long value) {
    return with(c -> c.tmpfsBytes = value);
  }

  public SandboxConfig withFileTimeout(Duration value) {
    return with(c -> c.fileTimeout = value);
  }

  /** A copy with {@code change} applied, validated by the constructor as any config is. */
  private SandboxConfig with(Consumer<Copy> change) {
    Copy c = new Copy(this);
    change.accept(c);
    return new SandboxConfig(
        c.workDir,
        c.isolation,
        c.warmTargets,
        c.uidBase,
        c.uidCount,
        c.tmpfsBytes,
        c.bwrapPath,
        c.maxConcurrentStarts,
        c.startTimeout,
        c.fileTimeout);
  }

  /** The fields of a copy in the making; see {@link #with}. */
  private static final class Copy {
    Path workDir;
    Isolation isolation;
    Map<String, Integer> warmTargets;
    int uidBase;
    int uidCount;
    long tmpfsBytes;
    Path bwrapPath;
    int maxConcurrentStarts;
    Duration startTimeout;
    Duration fileTimeout;

    Copy(SandboxConfig of) {
      workDir = of.workDir;
      isolation = of.isolation;
      warmTargets = of.warmTargets;
      uidBase = of.uidBase;
      uidCount = of.uidCount;
      tmpfsBytes = of.tmpfsBytes;
      bwrapPath = of.bwrapPath;
      maxConcurrentStarts = of.maxConcurrentStarts;
      startTimeout = of.startTimeout;
      fileTimeout = of.fileTimeout;
    }
  }

  /** The warm target of a template; 0 when not configured. */
  public int warmTarget(String template) {
    return warmTargets.getOrDefault(template, 0);
  }

  private static Path defaultBwrap() {
    String path = Objects.requireNonNullElse(System.getenv("PATH"), "/usr/bin:/bin");
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "bwrap"))) {
        return Path.of(dir, "bwrap");
      }
    }
    return Path.of("/usr/bin/bwrap");
  }

  private static void require(boolean ok, String field, String message) {
    if (!ok) {
      throw new IllegalArgumentException("sandbox." + field + " " + message);
    }
  }
}
