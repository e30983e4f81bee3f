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

  static final String DIR = "/dev/agentfactory/sandbox/native/";
  static final String RESOURCE = DIR + "af-init";

  private InitBinary() {}

  /** Extracts af-init into {@code dir} as an executable readable by every sandbox uid. */
  public static Path extractTo(Path dir) {
    return extract("af-init", dir);
  }

  /** Extracts af-launch, the launcher that puts a sandbox into its cgroups (see af-launch.c). */
  public static Path extractLauncherTo(Path dir) {
    return extract("af-launch", dir);
  }

  private static Path extract(String name, Path dir) {
    Path target = dir.resolve(name);
    String resource = DIR + name;
    try (InputStream in = InitBinary.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new SandboxException(
            "init_missing",
            name
                + " is not on the classpath at "
                + resource
                + "; build sandbox-agent on Linux with gcc installed",
            false);
      }
      // Write aside and rename: a sandbox starting concurrently never sees a half-written file
      Path tmp = Files.createTempFile(dir, name, ".tmp");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-xr-xr-x"));
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException e) {
      throw new SandboxException(
          "init_missing", "cannot extract " + name + " to " + target + ": " + e, false, e);
    }
  }
}
