package dev.agentfactory.sandbox.init;

import dev.agentfactory.sandbox.SandboxException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The af-init executable, compiled by the build into the jar and extracted at runtime so that a
 * jar-only deployment needs no separate install step.
 */
public final class InitBinary {

  static final String RESOURCE = "/dev/agentfactory/sandbox/native/af-init";

  private InitBinary() {}

  /** Extracts af-init into {@code dir} as an executable readable by every sandbox uid. */
  public static Path extractTo(Path dir) {
    Path target = dir.resolve("af-init");
    try (InputStream in = InitBinary.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new SandboxException(
            "init_missing",
            "af-init is not on the classpath at "
                + RESOURCE
                + "; build sandbox-agent on Linux with gcc installed",
            false);
      }
      // Write aside and rename: a sandbox starting concurrently never sees a half-written file
      Path tmp = Files.createTempFile(dir, "af-init", ".tmp");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-xr-xr-x"));
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException e) {
      throw new SandboxException(
          "init_missing", "cannot extract af-init to " + target + ": " + e, false, e);
    }
  }
}
